// The coordinator in-process, with a fake process (an emitter and a recorded exit): options,
// listeners and their removal, idempotence, reports. Exit codes in real processes: exit-codes.test.ts.
import * as http from 'node:http';
import { createTerminator, isInvalidOptionError } from '@lastcall/core';
import {
  type CoordinatorOptions,
  consoleLogger,
  createCoordinator,
  isCoordinatorActiveError,
  isShutdownStartedError,
  isStepFailedError,
  isStepTimeoutError,
  type LogFn,
  type Logger,
  type ProcessLike,
} from '@lastcall/lifecycle';
import { fakeProcess } from './helpers/process';

const quiet = (extra: CoordinatorOptions = {}): CoordinatorOptions => ({
  logger: false,
  process: fakeProcess(),
  ...extra,
});

describe('options', () => {
  const bad: Array<[string, CoordinatorOptions, 'TypeError' | 'RangeError', string]> = [
    ['deadline', { deadline: -1 }, 'RangeError', '-1'],
    ['deadline', { deadline: Number.NaN }, 'RangeError', 'NaN'],
    ['deadline', { deadline: '5s' as unknown as number }, 'TypeError', '"5s" (string)'],
    ['hookTimeout', { hookTimeout: -5 }, 'RangeError', '-5'],
    ['gracefulTimeout', { gracefulTimeout: null as unknown as number }, 'TypeError', 'null'],
    ['signals', { signals: 'SIGTERM' as unknown as NodeJS.Signals[] }, 'TypeError', '"SIGTERM" (string)'],
    ['signals[0]', { signals: ['SIGKILL'] }, 'RangeError', '"SIGKILL" (string)'],
    ['signals[1]', { signals: ['SIGTERM', 'SIGNOPE' as NodeJS.Signals] }, 'RangeError', '"SIGNOPE"'],
    ['exit', { exit: 0 as unknown as boolean }, 'TypeError', '0 (number)'],
    ['failureExitCode', { failureExitCode: 256 }, 'RangeError', '256'],
    ['forceExitCode', { forceExitCode: 1.5 }, 'RangeError', '1.5'],
    ['forceExitCode', { forceExitCode: '1' as unknown as number }, 'TypeError', '"1" (string)'],
    ['beforeShutdown', { beforeShutdown: 42 as unknown as () => void }, 'TypeError', '42 (number)'],
    ['onShutdown[1]', { onShutdown: [() => undefined, { run: 'x' } as never] }, 'TypeError', "{ run: 'x' }"],
    ['onShutdown.timeout', { onShutdown: { run: () => undefined, timeout: -1 } }, 'RangeError', '-1'],
    ['finally', { finally: true as unknown as () => void }, 'TypeError', 'true (boolean)'],
    ['logger', { logger: console.log as never }, 'TypeError', 'log (function)'],
    ['process', { process: {} as ProcessLike }, 'TypeError', '{}'],
    ['shutdownOnUncaught', { shutdownOnUncaught: 'yes' as never }, 'TypeError', '"yes"'],
    ['timeout', { timeout: 1000 } as never, 'TypeError', '1000 (number)'],
  ];
  test.each(bad)('%s: %j is a %s naming the option and the value', (option, options, kind, shown) => {
    let caught: unknown;
    try {
      createCoordinator({ logger: false, process: fakeProcess(), ...options });
    } catch (error) {
      caught = error;
    }
    expect(isInvalidOptionError(caught)).toBe(true);
    expect((caught as Error).name).toBe(`InvalidOption${kind === 'TypeError' ? 'Type' : 'Range'}Error`);
    expect(caught).toBeInstanceOf(kind === 'TypeError' ? TypeError : RangeError);
    expect((caught as Error).message).toContain(`createCoordinator: option "${option}"`);
    expect((caught as Error).message).toContain(shown);
  });

  test('add() and task() validate their arguments too', () => {
    const shutdown = createCoordinator(quiet());
    expect(() => shutdown.add({} as never)).toThrow(/add: option "terminator" must be a Terminator/);
    expect(() => shutdown.task('', () => undefined)).toThrow(/task: option "name" must be a non-empty string/);
    expect(() => shutdown.task('x', 'nope' as never)).toThrow(/task: option "run" must be a function/);
    expect(() => shutdown.task('x', () => undefined, { phase: 'later' as never })).toThrow(/option "phase"/);
    expect(() => shutdown.task('x', () => undefined, { order: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => shutdown.task('x', () => undefined, { timeout: -1 })).toThrow(/task: option "timeout"/);
    shutdown.dispose();
  });
});

describe('listeners', () => {
  test('dispose() removes every listener it added: 50 coordinators on the real process, no warning', async () => {
    const events = ['SIGTERM', 'SIGINT', 'SIGHUP', 'uncaughtException', 'unhandledRejection'];
    const before = events.map((event) => process.listenerCount(event));
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    // The real process's listeners, but an exit that does not end jest.
    const real: ProcessLike = {
      on: (event, listener) => process.on(event, listener),
      removeListener: (event, listener) => process.removeListener(event, listener),
      exit: () => undefined,
    };
    try {
      for (let i = 0; i < 50; i++) {
        const shutdown = createCoordinator({
          logger: false,
          process: real,
          signals: ['SIGTERM', 'SIGINT', 'SIGHUP'],
          shutdownOnUncaught: true,
        });
        expect(process.listenerCount('SIGHUP')).toBe((before[2] ?? 0) + 1);
        shutdown.dispose();
        shutdown.dispose(); // idempotent
      }
      expect(events.map((event) => process.listenerCount(event))).toEqual(before);
      // Node emits the warning on a later tick: give it one before looking.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  test('one coordinator per process: a second one throws until the first is disposed', () => {
    const fake = fakeProcess();
    const first = createCoordinator({ logger: false, process: fake });
    let caught: unknown;
    try {
      createCoordinator({ logger: false, process: fake });
    } catch (error) {
      caught = error;
    }
    expect(isCoordinatorActiveError(caught)).toBe(true);
    first.dispose();
    createCoordinator({ logger: false, process: fake }).dispose();
  });

  test('the coordinator removes its listeners by itself once the shutdown is done', async () => {
    const fake = fakeProcess();
    const shutdown = createCoordinator({ logger: false, process: fake, shutdownOnUncaught: true });
    expect(fake.emitter.listenerCount('SIGTERM')).toBe(1);
    expect(fake.emitter.listenerCount('unhandledRejection')).toBe(1);
    await shutdown.shutdown();
    expect(fake.emitter.eventNames()).toEqual([]);
    expect(fake.exits).toEqual([0]);
  });
});

describe('shutdown', () => {
  test('a signal starts it; shutdown() and a later call return the same report; exit is called once', async () => {
    const fake = fakeProcess();
    const run = jest.fn();
    const shutdown = createCoordinator({ logger: false, process: fake, onShutdown: run });
    fake.emitter.emit('SIGTERM', 'SIGTERM');
    expect(shutdown.state).toBe('shutting-down');
    const first = shutdown.shutdown();
    expect(shutdown.shutdown()).toBe(first);
    const report = await first;
    expect(report).toMatchObject({ reason: 'signal', signal: 'SIGTERM', exitCode: 0 });
    expect(run).toHaveBeenCalledTimes(1);
    expect(run.mock.calls[0]?.[0]).toMatchObject({ reason: 'signal', signal: 'SIGTERM' });
    expect(fake.exits).toEqual([0]);
    expect(shutdown.state).toBe('done');
  });

  test('a second signal abandons the running hook; a third exits at once with forceExitCode', async () => {
    const fake = fakeProcess();
    let aborted = false;
    const shutdown = createCoordinator({
      logger: false,
      process: fake,
      forceExitCode: 9,
      hookTimeout: Number.POSITIVE_INFINITY,
      beforeShutdown: ({ abortSignal }) =>
        new Promise<void>(() =>
          abortSignal.addEventListener('abort', () => {
            aborted = true;
          }),
        ),
      onShutdown: { name: 'never', run: jest.fn() },
    });
    fake.emitter.emit('SIGTERM');
    fake.emitter.emit('SIGINT');
    expect(aborted).toBe(true);
    fake.emitter.emit('SIGTERM');
    expect(fake.exits).toEqual([9]);
    const report = await shutdown.shutdown();
    expect(report).toMatchObject({ forcedBy: 'signal', exitCode: 9 });
    const outcomes = report.phases.flatMap((phase) => phase.steps.map((step) => step.outcome));
    expect(outcomes).toEqual(['abandoned', 'skipped']);
  });

  test('registering after the start throws ShutdownStartedError', async () => {
    const shutdown = createCoordinator(quiet());
    const done = shutdown.shutdown();
    let caught: unknown;
    try {
      shutdown.task('late', () => undefined);
    } catch (error) {
      caught = error;
    }
    expect(isShutdownStartedError(caught)).toBe(true);
    await done;
  });

  test('failed and timed-out hooks are in the report with branded errors; exit code 1', async () => {
    const fake = fakeProcess();
    const shutdown = createCoordinator({
      logger: false,
      process: fake,
      beforeShutdown: {
        name: 'boom',
        run: async () => {
          throw new Error('boom');
        },
      },
      onShutdown: { name: 'slow', run: () => new Promise(() => undefined), timeout: 50 },
    });
    const report = await shutdown.shutdown();
    const steps = report.phases.flatMap((phase) => phase.steps);
    expect(steps.map((step) => [step.name, step.outcome])).toEqual([
      ['boom', 'failed'],
      ['slow', 'timed-out'],
    ]);
    expect(isStepFailedError(steps[0]?.error)).toBe(true);
    expect(isStepTimeoutError(steps[1]?.error)).toBe(true);
    expect(report.exitCode).toBe(1);
    expect(fake.exits).toEqual([1]);
  });

  test('a timed-out hook sees its abortSignal aborted', async () => {
    let aborted = false;
    const shutdown = createCoordinator(
      quiet({
        onShutdown: {
          run: ({ abortSignal }) =>
            new Promise<void>(() =>
              abortSignal.addEventListener('abort', () => {
                aborted = true;
              }),
            ),
          timeout: 20,
        },
      }),
    );
    await shutdown.shutdown();
    expect(aborted).toBe(true);
  });

  test('finally runs last, gets the report, and a throw makes the exit code 1', async () => {
    const fake = fakeProcess();
    const seen: number[] = [];
    const shutdown = createCoordinator({
      logger: false,
      process: fake,
      finally: (report) => {
        seen.push(report.exitCode);
        throw new Error('finally broke');
      },
    });
    const report = await shutdown.shutdown();
    expect(seen).toEqual([0]);
    expect(report.exitCode).toBe(1);
    expect(isStepFailedError(report.finallyError)).toBe(true);
    expect(fake.exits).toEqual([1]);
  });

  test('no-exit mode: exit is never called; a failure sets exitCode', async () => {
    const fake = fakeProcess();
    const shutdown = createCoordinator({
      logger: false,
      process: fake,
      exit: false,
      onShutdown: () => {
        throw new Error('x');
      },
    });
    await shutdown.shutdown();
    expect(fake.exits).toEqual([]);
    expect(fake.exitCode).toBe(1);
  });

  test('a terminator registered twice drains once; its report is in the servers phase', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const terminator = createTerminator({ server });
    const shutdown = createCoordinator(quiet());
    shutdown.add(terminator, { name: 'api' });
    shutdown.add(terminator, { name: 'again' });
    const report = await shutdown.shutdown();
    const servers = report.phases.find((phase) => phase.phase === 'servers');
    expect(servers?.steps.map((step) => [step.name, step.outcome])).toEqual([['api', 'ok']]);
    expect(servers?.steps[0]?.termination?.timedOut).toBe(false);
    expect(server.listening).toBe(false);
  });

  test('an unregistered task does not run', async () => {
    const run = jest.fn();
    const shutdown = createCoordinator(quiet());
    const undo = shutdown.task('gone', run);
    undo();
    await shutdown.shutdown();
    expect(run).not.toHaveBeenCalled();
  });

  /** Runs a shutdown with a step in every phase (a phase without steps prints nothing), capturing the console. */
  async function consoleLines(logger?: Logger): Promise<string[]> {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((text: string) => void lines.push(text));
    const error = jest.spyOn(console, 'error').mockImplementation((text: string) => void lines.push(text));
    try {
      const shutdown = createCoordinator({
        process: fakeProcess(),
        ...(logger === undefined ? {} : { logger }),
        beforeShutdown: { name: 'ready', run: () => undefined },
        onShutdown: { name: 'db', run: () => undefined },
      });
      shutdown.add(createTerminator({ server, gracefulTimeout: 5_000 }), { name: 'api' });
      await shutdown.shutdown();
    } finally {
      log.mockRestore();
      error.mockRestore();
      if (server.listening) server.close();
    }
    return lines;
  }

  const CONSOLE_LINES = [
    /^\[lastcall\] shutdown started by manual: beforeShutdown 1 step, servers 1 step, onShutdown 1 step; deadline 25000 ms$/,
    /^\[lastcall\] beforeShutdown done in \d+ ms \(1 step\)$/,
    /^\[lastcall\] draining 0 connections, 0 requests in flight \(grace \d+ ms\)$/,
    /^\[lastcall\] servers closed in \d+ ms: 0 connections closed gracefully, 0 forced; 0 requests completed, 0 aborted$/,
    /^\[lastcall\] servers done in \d+ ms \(1 step\)$/,
    /^\[lastcall\] onShutdown done in \d+ ms \(1 step\)$/,
    /^\[lastcall\] shutdown complete in \d+ ms: exit code 0; 3 steps ok$/,
  ];

  test('the console logger prints one line per phase, the drain and close of the servers, and the report in one line, in order', async () => {
    const lines = await consoleLines();
    expect(lines).toEqual(CONSOLE_LINES.map((pattern) => expect.stringMatching(pattern)));
  });

  test('the console logger at level debug adds the whole report as one JSON line after the final line', async () => {
    const lines = await consoleLines(consoleLogger({ level: 'debug' }));
    expect(lines.slice(0, -1)).toEqual(CONSOLE_LINES.map((pattern) => expect.stringMatching(pattern)));
    const last = lines[lines.length - 1] ?? '';
    expect(last).toMatch(/^\[lastcall\] shutdown report \{/);
    expect(last).not.toContain('\n');
    expect(JSON.parse(last.slice(last.indexOf('{')))).toMatchObject({ reason: 'manual', exitCode: 0 });
  });

  test('a structured logger gets the summary at info and the whole report at debug', async () => {
    const calls: [string, Record<string, unknown>, string][] = [];
    const record =
      (level: string): LogFn =>
      (fields, message) =>
        void calls.push([level, fields, message]);
    const logger: Logger = {
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
      debug: record('debug'),
    };
    const report = await createCoordinator({ process: fakeProcess(), logger }).shutdown();
    const end = calls.find(([, fields]) => fields.event === 'end');
    expect(end?.[0]).toBe('info');
    expect(end?.[1]).not.toHaveProperty('report');
    expect(end?.[1]).toMatchObject({ exitCode: 0, steps: {} });
    expect(calls[calls.length - 1]).toEqual(['debug', { event: 'report', report }, 'shutdown report']);
  });

  test('the end line names each step that did not end ok', async () => {
    const lines: string[] = [];
    const logger = {
      info: (_fields: unknown, message: string) => void lines.push(message),
      warn: (_fields: unknown, message: string) => void lines.push(message),
      error: (_fields: unknown, message: string) => void lines.push(message),
    };
    const shutdown = createCoordinator({ process: fakeProcess(), logger });
    shutdown.task('db', () => {
      throw new Error('pool gone');
    });
    shutdown.task('cache', () => undefined);
    await shutdown.shutdown();
    expect(lines[lines.length - 1]).toMatch(/: exit code 1; 1 step ok, failed: db$/);
  });

  test('consoleLogger rejects an unknown option and a level it does not have, by name', () => {
    expect(() => consoleLogger({ levle: 'debug' } as never)).toThrow(/levle/);
    expect(() => consoleLogger({ level: 'trace' as never })).toThrow(/level.*"trace"/s);
    expect(consoleLogger('[svc]').debug).toBeUndefined();
  });
});
