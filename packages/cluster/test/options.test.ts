// createPrimary's validation at the call (option and value named) and the message classifier.

import { createPrimary } from '@lastcall/cluster';
import { isInvalidOptionError } from '@lastcall/core';
import { MESSAGE_TAG, parseWorkerMessage } from '../src/messages';
import { DEFAULT_RESTART_SIGNAL, resolvePrimaryConfig } from '../src/options';

test.each([
  [{ workers: 0 }, RangeError, /option "workers" must be an integer from 1 to 1024, received 0/],
  [{ workers: 1.5 }, RangeError, /"workers".*received 1\.5/],
  [{ workers: '2' }, TypeError, /"workers".*received "2" \(string\)/],
  [{ readyTimeout: -1 }, RangeError, /"readyTimeout".*received -1/],
  [{ workerDeadline: Number.POSITIVE_INFINITY }, RangeError, /"workerDeadline".*received Infinity/],
  [{ restartSignal: 'SIGKILL' }, RangeError, /"restartSignal".*not SIGKILL or SIGSTOP.*"SIGKILL"/],
  [{ shutdownSignals: ['SIGTERM', 'SIGSTOP'] }, RangeError, /"shutdownSignals\[1\]".*"SIGSTOP"/],
  [{ restartSignal: 'SIGTERM' }, RangeError, /"restartSignal" must be a signal not also in shutdownSignals/],
  [{ maxUnavailable: 0 }, RangeError, /"maxUnavailable"/],
  [{ crashBackoff: 500, maxCrashBackoff: 100 }, RangeError, /"maxCrashBackoff" must be at least crashBackoff/],
  [{ env: { A: 1 } }, TypeError, /"env\.A" must be a string, received 1/],
  [{ timeout: 5 }, TypeError, /option "timeout" must be a known option/],
])('createPrimary(%p) throws naming the option and the value', (options, kind, message) => {
  let thrown: unknown;
  try {
    createPrimary(options as never);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(kind);
  expect(isInvalidOptionError(thrown)).toBe(true);
  expect((thrown as Error).message).toMatch(message);
});

test('defaults, each defined once', () => {
  const config = resolvePrimaryConfig({ logger: false });
  expect(config).toMatchObject({
    restartSignal: DEFAULT_RESTART_SIGNAL,
    shutdownSignals: ['SIGTERM', 'SIGINT'],
    readyTimeout: 30_000,
    workerDeadline: 30_000,
    maxUnavailable: 1,
    crashBackoff: 100,
    maxCrashBackoff: 30_000,
    exit: true,
    failureExitCode: 1,
  });
  expect(config.workers).toBeGreaterThanOrEqual(1);
});

test.each([
  [{ tag: MESSAGE_TAG, type: 'ready' }, { kind: 'ready' }],
  [
    { tag: MESSAGE_TAG, type: 'take-over' },
    { kind: 'invalid', why: 'unknown type "take-over"' },
  ],
  [
    { tag: MESSAGE_TAG, type: 42 },
    { kind: 'invalid', why: 'unknown type number' },
  ],
  [{ tag: MESSAGE_TAG }, { kind: 'invalid', why: 'unknown type undefined' }],
  ['ready', { kind: 'foreign' }],
  [null, { kind: 'foreign' }],
  [[MESSAGE_TAG, 'ready'], { kind: 'foreign' }],
  [{ cmd: 'app' }, { kind: 'foreign' }],
])('parseWorkerMessage(%p) never throws and classifies', (message, expected) => {
  expect(parseWorkerMessage(message)).toEqual(expected);
});
