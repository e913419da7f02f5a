// No timer of the coordinator outlives its shutdown: hook timeouts, the deadline, the forced
// wait and the logger flush all go through the injected clock, counted here.
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTerminator, systemClock } from '@lastcall/core';
import { createCoordinator, type Logger, type ProcessLike } from '@lastcall/lifecycle';
import { countingClock, within } from '@lastcall/test-kit';

function fakeProcess(): ProcessLike & { emitter: EventEmitter; exits: number[] } {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return {
    emitter,
    exits,
    exitCode: undefined,
    on: (event, listener) => emitter.on(event, listener),
    removeListener: (event, listener) => emitter.removeListener(event, listener),
    exit: (code) => void exits.push(code),
  };
}

/** A silent logger whose flush calls back on a later turn, so the flush wait has a timer to clear. */
const flushingLogger = (): Logger => ({
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  flush: (callback) => void setImmediate(() => callback?.()),
});

const WAIT_MS = 10_000;

test('a clean shutdown with hooks and a logger flush leaves no timer', async () => {
  const clock = countingClock(systemClock);
  const shutdown = createCoordinator({
    clock,
    logger: flushingLogger(),
    process: fakeProcess(),
    beforeShutdown: () => new Promise<void>((resolve) => setImmediate(resolve)),
    onShutdown: [() => undefined, (_context, done) => void setImmediate(done)],
  });
  const report = await within(shutdown.shutdown(), WAIT_MS, 'the shutdown');
  expect(report.exitCode).toBe(0);
  // Three hook timeouts, the deadline, the logger's flush and the stdio flush: all made, all gone.
  expect(clock.made).toBe(6);
  expect(clock.live).toBe(0);
});

test('a hook that times out leaves no timer', async () => {
  const clock = countingClock(systemClock);
  const shutdown = createCoordinator({
    clock,
    logger: false,
    process: fakeProcess(),
    onShutdown: [
      { name: 'hangs', run: () => new Promise(() => undefined), timeout: 20 },
      { name: 'quick', run: () => undefined },
    ],
  });
  const report = await within(shutdown.shutdown(), WAIT_MS, 'the shutdown');
  expect(report.phases.flatMap((phase) => phase.steps.map((step) => step.outcome))).toEqual(['timed-out', 'ok']);
  expect(clock.live).toBe(0);
});

describe('a forced shutdown', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  test('forced while a terminator drains a hung request: no timer left, the step is forced', async () => {
    const clock = countingClock(systemClock);
    const fake = fakeProcess();
    let arrived: () => void = () => undefined;
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // A handler that never answers: only a force ends its connection.
    const hung = http.createServer(() => arrived());
    server = hung;
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const { port } = hung.address() as AddressInfo;
    const terminator = createTerminator({ server: hung, gracefulTimeout: 60_000 });
    const shutdown = createCoordinator({ clock, logger: false, process: fake, hookTimeout: Number.POSITIVE_INFINITY });
    shutdown.add(terminator, { name: 'hung' });
    const request = http.get({ host: '127.0.0.1', port, agent: false });
    const requestEnded = new Promise<void>((resolve) => {
      request.on('error', () => resolve());
      request.on('close', () => resolve());
    });
    await within(requestArrived, WAIT_MS, 'the request');
    fake.emitter.emit('SIGTERM', 'SIGTERM');
    // Forcing before the terminator drains would skip the graceful period this test is about.
    for (let i = 0; i < 100 && terminator.state !== 'draining'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(terminator.state).toBe('draining');
    fake.emitter.emit('SIGINT', 'SIGINT');
    const report = await within(shutdown.shutdown(), WAIT_MS, 'the forced shutdown');
    await within(requestEnded, WAIT_MS, 'the client to see its connection end');
    expect(report.forcedBy).toBe('signal');
    expect(report.phases.find((phase) => phase.phase === 'servers')?.steps[0]?.outcome).toBe('forced');
    expect(clock.live).toBe(0);
  });
});
