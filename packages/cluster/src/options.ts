// createPrimary's options: validation and defaults, each default defined here once with its unit.
import { availableParallelism, constants } from 'node:os';
import { assertDuration, assertKnownOptions, InvalidOptionRangeError, InvalidOptionTypeError } from '@lastcall/core';
import { type Logger, resolveLogger } from '@lastcall/lifecycle';

/** The signal that starts a rolling restart when `restartSignal` is not given. */
export const DEFAULT_RESTART_SIGNAL: NodeJS.Signals = 'SIGHUP';
/** Signals that shut the primary and every worker down when `shutdownSignals` is not given. */
export const DEFAULT_SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
/** How long a new worker has to send ready, from its fork, in milliseconds. */
export const DEFAULT_READY_TIMEOUT_MS = 30_000;
/**
 * How long a worker has to exit after the shutdown message before it is killed with SIGKILL,
 * in milliseconds: 30 s, above lifecycle's default 25 s deadline so a worker's own deadline runs first.
 */
export const DEFAULT_WORKER_DEADLINE_MS = 30_000;
/** Workers replaced at the same time during a rolling restart. */
export const DEFAULT_MAX_UNAVAILABLE = 1;
/** Delay before re-forking a slot whose worker crashed for the first time in a row, in milliseconds. */
export const DEFAULT_CRASH_BACKOFF_MS = 100;
/** The longest delay between re-forks of a slot that keeps crashing, in milliseconds (the delay doubles per crash). */
export const DEFAULT_MAX_CRASH_BACKOFF_MS = 30_000;
/** Exit code of the primary when a worker had to be forced (or exited badly) during its shutdown. */
export const DEFAULT_FAILURE_EXIT_CODE = 1;

/** Options of `createPrimary`; all are optional. */
export interface PrimaryOptions {
  /** Workers to keep running. Defaults to `os.availableParallelism()`. */
  workers?: number;
  /** The signal that starts a rolling restart, or `false` for none (API only). Defaults to `'SIGHUP'`. */
  restartSignal?: NodeJS.Signals | false;
  /** Signals that shut everything down; a second one kills the workers at once. Defaults to `['SIGTERM', 'SIGINT']`. */
  shutdownSignals?: readonly NodeJS.Signals[];
  /** Time a new worker has to send ready, from its fork, in milliseconds. Defaults to 30000 ms. */
  readyTimeout?: number;
  /** Time a worker has to exit after the shutdown message before SIGKILL, in milliseconds. Defaults to 30000 ms. */
  workerDeadline?: number;
  /** Workers replaced at once in a rolling restart (each replacement is ready before its old worker stops). Defaults to 1. */
  maxUnavailable?: number;
  /** First delay before re-forking a crashed worker's slot, in milliseconds; doubles per crash in a row. Defaults to 100 ms. */
  crashBackoff?: number;
  /** Cap of that delay, in milliseconds. Defaults to 30000 ms. */
  maxCrashBackoff?: number;
  /** `process.exit(code)` once the shutdown is done. `false`: set `process.exitCode` only. Defaults to `true`. */
  exit?: boolean;
  /** Exit code when a worker was forced or exited badly during the shutdown. Defaults to 1. */
  failureExitCode?: number;
  /** Extra environment of every worker (added to the primary's). Defaults to none. */
  env?: Readonly<Record<string, string>>;
  /** Where progress goes: a pino-compatible logger, or `false`. Defaults to console lines prefixed `[lastcall cluster]`. */
  logger?: Logger | false;
}

/** The options of `createPrimary` once validated, every default applied (`ClusterPrimary.config`). */
export interface PrimaryConfig {
  /** Workers kept running. Defaults to `os.availableParallelism()`. */
  readonly workers: number;
  /** The signal that starts a rolling restart, or `false` for none. Defaults to `'SIGHUP'`. */
  readonly restartSignal: NodeJS.Signals | false;
  /** Signals that shut every worker down, then the primary. Defaults to `['SIGTERM', 'SIGINT']`. */
  readonly shutdownSignals: readonly NodeJS.Signals[];
  /** Time a new worker has to send ready, from its fork, in milliseconds (option `readyTimeout`). Defaults to 30000. */
  readonly readyTimeout: number;
  /**
   * Time a worker has to exit after the shutdown message before SIGKILL, in milliseconds (option `workerDeadline`).
   * Defaults to 30000.
   */
  readonly workerDeadline: number;
  /** Workers replaced at the same time in a rolling restart. Defaults to 1. */
  readonly maxUnavailable: number;
  /**
   * First delay before re-forking a crashed worker's slot, in milliseconds (option `crashBackoff`); doubles per crash
   * in a row. Defaults to 100.
   */
  readonly crashBackoff: number;
  /** Cap of the crash back-off, in milliseconds (option `maxCrashBackoff`). Defaults to 30000. */
  readonly maxCrashBackoff: number;
  /**
   * Whether the primary calls `process.exit(code)` after its shutdown; `false` sets `process.exitCode` only. Defaults
   * to true.
   */
  readonly exit: boolean;
  /** Exit code when a worker was forced or exited badly during the shutdown. Defaults to 1. */
  readonly failureExitCode: number;
  /** Extra environment of every worker, added to the primary's. Defaults to none. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Where progress goes (`logger: false` gives one that drops everything). Defaults to console lines prefixed
   * `[lastcall cluster]`.
   */
  readonly logger: Logger;
}

const WHERE = 'createPrimary';
const KNOWN: readonly (keyof PrimaryOptions)[] = [
  'workers',
  'restartSignal',
  'shutdownSignals',
  'readyTimeout',
  'workerDeadline',
  'maxUnavailable',
  'crashBackoff',
  'maxCrashBackoff',
  'exit',
  'failureExitCode',
  'env',
  'logger',
];
// Node cannot listen to these: asking for them is a mistake to report at the call.
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);
// A bound on `workers` that no machine reaches, so a typo (20000) is caught rather than forked.
const MAX_WORKERS = 1_024;

export function resolvePrimaryConfig(options: PrimaryOptions = {}): PrimaryConfig {
  assertKnownOptions(WHERE, options, KNOWN);
  const workers = assertCount('workers', options.workers, availableParallelism());
  const restartSignal = options.restartSignal === undefined ? DEFAULT_RESTART_SIGNAL : options.restartSignal;
  if (restartSignal !== false) assertSignal('restartSignal', restartSignal);
  const shutdownSignals = resolveSignals(options.shutdownSignals);
  if (restartSignal !== false && shutdownSignals.includes(restartSignal)) {
    throw new InvalidOptionRangeError(WHERE, 'restartSignal', 'a signal not also in shutdownSignals', restartSignal);
  }
  const crashBackoff = finiteMs('crashBackoff', options.crashBackoff, DEFAULT_CRASH_BACKOFF_MS);
  const maxCrashBackoff = finiteMs('maxCrashBackoff', options.maxCrashBackoff, DEFAULT_MAX_CRASH_BACKOFF_MS);
  if (maxCrashBackoff < crashBackoff) {
    throw new InvalidOptionRangeError(
      WHERE,
      'maxCrashBackoff',
      `at least crashBackoff (${crashBackoff} ms)`,
      maxCrashBackoff,
    );
  }
  return {
    workers,
    restartSignal,
    shutdownSignals,
    readyTimeout: finiteMs('readyTimeout', options.readyTimeout, DEFAULT_READY_TIMEOUT_MS),
    workerDeadline: finiteMs('workerDeadline', options.workerDeadline, DEFAULT_WORKER_DEADLINE_MS),
    maxUnavailable: assertCount('maxUnavailable', options.maxUnavailable, DEFAULT_MAX_UNAVAILABLE),
    crashBackoff,
    maxCrashBackoff,
    exit: assertBoolean('exit', options.exit, true),
    failureExitCode: assertExitCode('failureExitCode', options.failureExitCode),
    env: resolveEnv(options.env),
    logger: resolveLogger(WHERE, options.logger, '[lastcall cluster]'),
  };
}

// A restart that may wait forever is the hang this package exists to prevent: Infinity is refused.
function finiteMs(option: string, value: unknown, fallback: number): number {
  return assertDuration(WHERE, option, value === undefined ? fallback : value, false);
}

function assertCount(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const expected = `an integer from 1 to ${MAX_WORKERS}`;
  if (typeof value !== 'number') throw new InvalidOptionTypeError(WHERE, option, expected, value);
  if (!Number.isInteger(value) || value < 1 || value > MAX_WORKERS) {
    throw new InvalidOptionRangeError(WHERE, option, expected, value);
  }
  return value;
}

function assertSignal(option: string, value: unknown): asserts value is NodeJS.Signals {
  if (typeof value !== 'string')
    throw new InvalidOptionTypeError(WHERE, option, 'a signal name such as "SIGHUP"', value);
  if (!(value in constants.signals) || UNCATCHABLE.has(value)) {
    throw new InvalidOptionRangeError(WHERE, option, 'a signal Node can listen to (not SIGKILL or SIGSTOP)', value);
  }
}

function resolveSignals(value: unknown): readonly NodeJS.Signals[] {
  if (value === undefined) return DEFAULT_SHUTDOWN_SIGNALS;
  if (!Array.isArray(value)) {
    throw new InvalidOptionTypeError(WHERE, 'shutdownSignals', 'an array of signal names', value);
  }
  value.forEach((signal: unknown, index) => {
    assertSignal(`shutdownSignals[${index}]`, signal);
  });
  return [...new Set(value as NodeJS.Signals[])];
}

function assertBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionTypeError(WHERE, option, 'a boolean', value);
  return value;
}

function assertExitCode(option: string, value: unknown): number {
  if (value === undefined) return DEFAULT_FAILURE_EXIT_CODE;
  if (typeof value !== 'number') throw new InvalidOptionTypeError(WHERE, option, 'an integer from 0 to 255', value);
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new InvalidOptionRangeError(WHERE, option, 'an integer from 0 to 255', value);
  }
  return value;
}

function resolveEnv(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionTypeError(WHERE, 'env', 'an object of strings', value);
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw new InvalidOptionTypeError(WHERE, `env.${key}`, 'a string', entry);
  }
  return { ...(value as Record<string, string>) };
}
