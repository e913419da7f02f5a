// createCoordinator's options: validation and defaults, each default defined here once.
import { constants } from 'node:os';
import {
  assertDuration,
  type Clock,
  InvalidOptionRangeError,
  InvalidOptionTypeError,
  systemClock,
} from '@lastcall/core';
import { type HookConfig, type HookDefinition, resolveHook } from './hooks.js';
import { type Logger, resolveLogger } from './logger.js';
import type { ProcessLike } from './ProcessLike.js';
import { isProcessLike } from './ProcessLike.js';
import type { ShutdownReport } from './report.js';
import type { StepFunction } from './runStep.js';
import { hasMethods } from './shape.js';

/** Signals that start a shutdown when `signals` is not given. */
export const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
/** The whole shutdown's deadline, in milliseconds: 25 s, inside Kubernetes' default 30 s grace. */
export const DEFAULT_DEADLINE_MS = 25_000;
/** A hook's or task's own timeout when it gives none, in milliseconds. */
export const DEFAULT_HOOK_TIMEOUT_MS = 5_000;
/** Exit code after a timeout, a hook failure, the deadline, or an uncaught error. */
export const DEFAULT_FAILURE_EXIT_CODE = 1;
/** Exit code after a second signal forced the shutdown. */
export const DEFAULT_FORCE_EXIT_CODE = 1;

/** Options of `createCoordinator`; every one has a default. */
export interface CoordinatorOptions {
  /** Signals that start the shutdown; a second one forces it. Defaults to `['SIGTERM', 'SIGINT']`. `[]` for none. */
  signals?: readonly NodeJS.Signals[];
  /**
   * Overall deadline of the whole shutdown, in milliseconds, from the trigger to the exit.
   * When it passes, the servers are forced, the remaining hooks are skipped and the exit
   * code is `failureExitCode`. `Infinity` for none. Defaults to 25000 ms.
   */
  deadline?: number;
  /** Timeout of each hook and task that does not give its own, in milliseconds. `Infinity` for none. Defaults to 5000 ms. */
  hookTimeout?: number;
  /**
   * Graceful period of every registered terminator, in milliseconds. Defaults to each
   * terminator's own `gracefulTimeout` (10000 ms unless set). Always capped so the
   * terminator's own force runs before the overall deadline.
   */
  gracefulTimeout?: number;
  /** Run before the servers are touched: readiness flip, load-balancer delay. Phase `beforeShutdown`. */
  beforeShutdown?: StepFunction | HookDefinition | readonly (StepFunction | HookDefinition)[];
  /** Run after every server drained: close pools, flush queues. Phase `onShutdown`. */
  onShutdown?: StepFunction | HookDefinition | readonly (StepFunction | HookDefinition)[];
  /**
   * Synchronous, last, always (also after a forced shutdown): the final log line, a metric.
   * Receives the report. A promise it returns is not awaited.
   */
  finally?: (report: ShutdownReport) => void;
  /** Call `process.exit(code)` at the end. `false`: never exit; set `process.exitCode` and let the event loop drain. Defaults to `true`. */
  exit?: boolean;
  /** Exit code after a timeout, a failed or hung hook, the deadline, or an uncaught error. Defaults to 1. */
  failureExitCode?: number;
  /** Exit code after a second signal forced the shutdown. Defaults to 1. */
  forceExitCode?: number;
  /** Start the same shutdown on `uncaughtException` and `unhandledRejection` (exit code `failureExitCode`). Defaults to `false`. */
  shutdownOnUncaught?: boolean;
  /**
   * Where progress goes: a pino-compatible logger, or `false` for none. Defaults to
   * `consoleLogger()`: one console line per event, the report summed up in one line (the whole
   * report goes to the logger's `debug`, which the default does not print).
   */
  logger?: Logger | false;
  /** No grace (nodemon-style restarts): terminators force at once, `beforeShutdown` is skipped. Defaults to `false`. */
  development?: boolean;
  /** The process to listen on and exit (tests). Defaults to `globalThis.process`. */
  process?: ProcessLike;
  /** Time and timers (tests). Defaults to the system clock. */
  clock?: Clock;
}

/** What the coordinator runs with, after validation. */
export interface CoordinatorConfig {
  /** Signals that start the shutdown (`signals` option). */
  readonly signals: readonly NodeJS.Signals[];
  /** Overall deadline of a shutdown, in milliseconds (`deadline` option, default `DEFAULT_DEADLINE_MS`). */
  readonly deadline: number;
  /** Default timeout of a hook or task, in milliseconds (`hookTimeout` option, default `DEFAULT_HOOK_TIMEOUT_MS`). */
  readonly hookTimeout: number;
  /** Graceful period passed to every terminator, in milliseconds; `undefined` for each terminator's own. */
  readonly gracefulTimeout: number | undefined;
  /** Hooks of the `beforeShutdown` phase. */
  readonly beforeShutdown: readonly HookConfig[];
  /** Hooks of the `onShutdown` phase. */
  readonly onShutdown: readonly HookConfig[];
  /** Synchronous callback run last, with the report. */
  readonly finally: ((report: ShutdownReport) => void) | undefined;
  /** Whether the coordinator calls `process.exit` (else it sets `process.exitCode`). */
  readonly exit: boolean;
  /** Exit code of a shutdown that failed or hit the deadline (default `DEFAULT_FAILURE_EXIT_CODE`). */
  readonly failureExitCode: number;
  /** Exit code of a shutdown forced by a second signal (default `DEFAULT_FORCE_EXIT_CODE`). */
  readonly forceExitCode: number;
  /** Whether an uncaught exception or unhandled rejection starts the shutdown. */
  readonly shutdownOnUncaught: boolean;
  /** Where progress lines go (`silentLogger` when the option was `false`). */
  readonly logger: Logger;
  /** Development mode: `beforeShutdown` is skipped. */
  readonly development: boolean;
  /** The process whose signals are listened to and which is exited. */
  readonly process: ProcessLike;
  /** Drives every timer of the coordinator. */
  readonly clock: Clock;
}

const WHERE = 'createCoordinator';
const KNOWN: ReadonlySet<string> = new Set<keyof CoordinatorOptions>([
  'signals',
  'deadline',
  'hookTimeout',
  'gracefulTimeout',
  'beforeShutdown',
  'onShutdown',
  'finally',
  'exit',
  'failureExitCode',
  'forceExitCode',
  'shutdownOnUncaught',
  'logger',
  'development',
  'process',
  'clock',
]);
// Node cannot listen to these: asking for them is a mistake to report at the call.
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

export function resolveConfig(options: CoordinatorOptions = {}): CoordinatorConfig {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionTypeError(WHERE, 'options', 'an object', options);
  }
  for (const key of Object.keys(options)) {
    // An unknown key is most often a misspelt or misremembered one (`timeout`): say so now.
    if (!KNOWN.has(key)) {
      throw new InvalidOptionTypeError(WHERE, key, `one of ${[...KNOWN].join(', ')}`, (options as never)[key]);
    }
  }
  return {
    signals: resolveSignals(options.signals),
    // `=== undefined`, not `??`: an explicit null is bad input, not "use the default" (as in core).
    deadline: assertDuration(
      WHERE,
      'deadline',
      options.deadline === undefined ? DEFAULT_DEADLINE_MS : options.deadline,
      true,
    ),
    hookTimeout: assertDuration(
      WHERE,
      'hookTimeout',
      options.hookTimeout === undefined ? DEFAULT_HOOK_TIMEOUT_MS : options.hookTimeout,
      true,
    ),
    gracefulTimeout:
      options.gracefulTimeout === undefined
        ? undefined
        : assertDuration(WHERE, 'gracefulTimeout', options.gracefulTimeout, true),
    beforeShutdown: resolveHooks('beforeShutdown', options.beforeShutdown),
    onShutdown: resolveHooks('onShutdown', options.onShutdown),
    finally: resolveFinally(options.finally),
    exit: assertBoolean('exit', options.exit, true),
    failureExitCode: assertExitCode('failureExitCode', options.failureExitCode, DEFAULT_FAILURE_EXIT_CODE),
    forceExitCode: assertExitCode('forceExitCode', options.forceExitCode, DEFAULT_FORCE_EXIT_CODE),
    shutdownOnUncaught: assertBoolean('shutdownOnUncaught', options.shutdownOnUncaught, false),
    logger: resolveLogger(WHERE, options.logger),
    development: assertBoolean('development', options.development, false),
    process: resolveProcess(options.process),
    clock: resolveClock(options.clock),
  };
}

function resolveSignals(value: unknown): readonly NodeJS.Signals[] {
  if (value === undefined) return DEFAULT_SIGNALS;
  if (!Array.isArray(value)) throw new InvalidOptionTypeError(WHERE, 'signals', 'an array of signal names', value);
  value.forEach((signal, index) => {
    if (typeof signal !== 'string') {
      throw new InvalidOptionTypeError(WHERE, `signals[${index}]`, 'a signal name such as "SIGTERM"', signal);
    }
    if (!(signal in constants.signals) || UNCATCHABLE.has(signal)) {
      throw new InvalidOptionRangeError(
        WHERE,
        `signals[${index}]`,
        'a signal Node can listen to (not SIGKILL or SIGSTOP)',
        signal,
      );
    }
  });
  return [...new Set(value as NodeJS.Signals[])];
}

function resolveHooks(option: string, value: unknown): HookConfig[] {
  if (value === undefined) return [];
  const list: readonly unknown[] = Array.isArray(value) ? value : [value];
  return list.map((hook, index) => resolveHook(WHERE, Array.isArray(value) ? `${option}[${index}]` : option, hook));
}

function resolveFinally(value: unknown): ((report: ShutdownReport) => void) | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new InvalidOptionTypeError(WHERE, 'finally', 'a function', value);
  return value as (report: ShutdownReport) => void;
}

function assertBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionTypeError(WHERE, option, 'a boolean', value);
  return value;
}

function assertExitCode(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new InvalidOptionTypeError(WHERE, option, 'an integer from 0 to 255', value);
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new InvalidOptionRangeError(WHERE, option, 'an integer from 0 to 255', value);
  }
  return value;
}

function resolveProcess(value: unknown): ProcessLike {
  if (value === undefined) return globalThis.process as unknown as ProcessLike;
  if (!isProcessLike(value)) {
    throw new InvalidOptionTypeError(WHERE, 'process', 'a process-like object with on, removeListener and exit', value);
  }
  return value;
}

// Health has the same few lines (core checks its own option inline): one shared check would be a
// public name of core, whose 30 are all taken (scripts/test/conventions.test.ts).
function resolveClock(value: unknown): Clock {
  if (value === undefined) return systemClock;
  if (!hasMethods(value, ['now', 'setTimeout', 'clearTimeout'])) {
    throw new InvalidOptionTypeError(WHERE, 'clock', 'a Clock (now, setTimeout, clearTimeout)', value);
  }
  return value as Clock;
}
