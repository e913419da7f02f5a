// Bad input for every @lastcall/lifecycle option and argument that coordinator.test.ts does not
// already try: each error names the option and the value received.
import * as http from 'node:http';
import { createTerminator, isInvalidOptionError } from '@lastcall/core';
import { type CoordinatorOptions, createCoordinator, type ShutdownCoordinator } from '@lastcall/lifecycle';
import { fakeProcess } from '../helpers/process';

function caught(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectNamed(
  error: unknown,
  kind: typeof TypeError | typeof RangeError,
  where: string,
  option: string,
  shown: string,
): void {
  expect(error).toBeInstanceOf(kind);
  expect(isInvalidOptionError(error)).toBe(true);
  expect((error as Error).message).toContain(`${where}: option "${option}"`);
  expect((error as Error).message).toContain(shown);
}

type OptionCase = [option: string, options: unknown, kind: typeof TypeError | typeof RangeError, shown: string];

const options: OptionCase[] = [
  ['options', 'fast', TypeError, '"fast" (string)'],
  ['development', { development: 'yes' }, TypeError, '"yes" (string)'],
  ['clock', { clock: { now: () => 0 } }, TypeError, '{ now: [Function: now] }'],
  ['clock', { clock: 5 }, TypeError, '5 (number)'],
  ['deadline', { deadline: Number.NEGATIVE_INFINITY }, RangeError, '-Infinity'],
  // An explicit null is bad input, not "use the default".
  ['deadline', { deadline: null }, TypeError, 'null'],
  ['hookTimeout', { hookTimeout: null }, TypeError, 'null'],
  ['hookTimeout', { hookTimeout: '5s' }, TypeError, '"5s" (string)'],
  ['hookTimeout', { hookTimeout: Number.NaN }, RangeError, 'NaN'],
  ['gracefulTimeout', { gracefulTimeout: -1 }, RangeError, '-1 (number)'],
  ['signals[0]', { signals: [15] }, TypeError, '15 (number)'],
  ['signals[0]', { signals: ['SIGSTOP'] }, RangeError, '"SIGSTOP" (string)'],
  ['failureExitCode', { failureExitCode: -1 }, RangeError, '-1 (number)'],
  ['failureExitCode', { failureExitCode: '1' }, TypeError, '"1" (string)'],
  ['forceExitCode', { forceExitCode: 300 }, RangeError, '300 (number)'],
  ['exit', { exit: 'false' }, TypeError, '"false" (string)'],
  ['shutdownOnUncaught', { shutdownOnUncaught: 1 }, TypeError, '1 (number)'],
  ['logger', { logger: true }, TypeError, 'true (boolean)'],
  ['logger', { logger: { info() {}, warn() {} } }, TypeError, 'info'],
  ['process', { process: null }, TypeError, 'null'],
  ['finally', { finally: 'log' }, TypeError, '"log" (string)'],
  ['beforeShutdown', { beforeShutdown: null }, TypeError, 'null'],
  ['beforeShutdown[0]', { beforeShutdown: [{ name: 'x' }] }, TypeError, "{ name: 'x' }"],
  ['beforeShutdown.name', { beforeShutdown: { run: () => undefined, name: '' } }, TypeError, '"" (string)'],
  ['beforeShutdown.name', { beforeShutdown: { run: () => undefined, name: 7 } }, TypeError, '7 (number)'],
  ['beforeShutdown.timeout', { beforeShutdown: { run: () => undefined, timeout: '1s' } }, TypeError, '"1s" (string)'],
  ['beforeShutdown.order', { beforeShutdown: { run: () => undefined, order: Number.NaN } }, RangeError, 'NaN'],
  ['onShutdown[0].order', { onShutdown: [{ run: () => undefined, order: '1' }] }, TypeError, '"1" (string)'],
  ['onShutdown[0].timeout', { onShutdown: [{ run: () => undefined, timeout: Number.NaN }] }, RangeError, 'NaN'],
  ['gracefulTimout', { gracefulTimout: 5_000 }, TypeError, '5000 (number)'],
];

test.each(options)(
  'createCoordinator, option %s = %j: throws naming it and the value',
  (option, extra, kind, shown) => {
    const given =
      typeof extra === 'object' && extra !== null ? { logger: false, process: fakeProcess(), ...extra } : extra;
    const error = caught(() => createCoordinator(given as CoordinatorOptions));
    expectNamed(error, kind, 'createCoordinator', option, shown);
  },
);

describe('task(fn) without a name', () => {
  it('names the real mistake: the name comes first', () => {
    const coordinator = createCoordinator({ logger: false, process: fakeProcess() });
    try {
      const closePool = (): void => undefined;
      expect(() => coordinator.task(closePool as never, undefined as never)).toThrow(
        /^task: option "name" must be a non-empty string \(the name comes first\), received closePool \(function\); register it as task\('closePool', fn\)/,
      );
      // Not the old message about the second argument.
      expect(() => coordinator.task((() => undefined) as never, undefined as never)).not.toThrow(/"run"/);
    } finally {
      coordinator.dispose();
    }
  });
});

describe('add() and task() arguments', () => {
  let coordinator: ShutdownCoordinator;
  const server = http.createServer();
  const terminator = createTerminator({ server });
  beforeEach(() => {
    coordinator = createCoordinator({ logger: false, process: fakeProcess() });
  });
  afterEach(() => coordinator.dispose());
  afterAll(() => terminator.dispose());

  type ArgCase = [
    label: string,
    call: () => unknown,
    kind: typeof TypeError | typeof RangeError,
    where: string,
    option: string,
    shown: string,
  ];
  const args: ArgCase[] = [
    ['add(null)', () => coordinator.add(null as never), TypeError, 'add', 'terminator', 'null'],
    ['add(t, 5)', () => coordinator.add(terminator, 5 as never), TypeError, 'add', 'options', '5 (number)'],
    ['add(t, { name: "" })', () => coordinator.add(terminator, { name: '' }), TypeError, 'add', 'name', '"" (string)'],
    [
      'add(t, { order: Infinity })',
      () => coordinator.add(terminator, { order: Number.POSITIVE_INFINITY }),
      RangeError,
      'add',
      'order',
      'Infinity',
    ],
    [
      'add(t, { order: "1" })',
      () => coordinator.add(terminator, { order: '1' as never }),
      TypeError,
      'add',
      'order',
      '"1" (string)',
    ],
    ['task(42, fn)', () => coordinator.task(42 as never, () => undefined), TypeError, 'task', 'name', '42 (number)'],
    [
      'task(name, fn, null)',
      () => coordinator.task('db', () => undefined, null as never),
      TypeError,
      'task',
      'options',
      'null',
    ],
    [
      'task(name, fn, { timeout: "1s" })',
      () => coordinator.task('db', () => undefined, { timeout: '1s' as never }),
      TypeError,
      'task',
      'timeout',
      '"1s" (string)',
    ],
    [
      'task(name, fn, { order: NaN })',
      () => coordinator.task('db', () => undefined, { order: Number.NaN }),
      RangeError,
      'task',
      'order',
      'NaN',
    ],
    [
      'task(name, fn, { phase: 42 })',
      () => coordinator.task('db', () => undefined, { phase: 42 as never }),
      TypeError,
      'task',
      'phase',
      '42 (number)',
    ],
    [
      'task(name, fn, { phase: null })',
      () => coordinator.task('db', () => undefined, { phase: null as never }),
      TypeError,
      'task',
      'phase',
      'null',
    ],
  ];
  test.each(args)('%s: throws naming the argument and the value', (_label, call, kind, where, option, shown) => {
    expectNamed(caught(call), kind, where, option, shown);
  });
});
