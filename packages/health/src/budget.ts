// One shutdown budget: readiness delay + graceful timeout + hooks, checked against the
// platform's grace period at start-up.
import { assertDuration, assertKnownOptions, InvalidOptionRangeError, InvalidOptionTypeError } from '@lastcall/core';
import { assertBoolean } from './options.js';
import { type PlatformGracePeriod, platformGracePeriod } from './platforms.js';
import { emit, HEALTH_WARNING_CODES, type HealthWarning } from './warnings.js';

/** Probe settings the readiness delay is computed from (Kubernetes' names). */
export interface ProbeTiming {
  /** Failed probes before the checker acts (Kubernetes `failureThreshold`, HAProxy `fall`). */
  failureThreshold: number;
  /** Seconds between probes (Kubernetes `periodSeconds`; HAProxy `inter` / 1000). */
  periodSeconds: number;
  /** Added for propagation (endpoints, kube-proxy), in milliseconds. Defaults to 1000. */
  margin?: number;
}

/** Options of `checkShutdownBudget`; `gracefulTimeout` and `gracePeriod` are required. */
export interface ShutdownBudgetOptions {
  /** How long readiness stays 503 with the listener open: milliseconds, or probe settings. Defaults to 0 (milliseconds). */
  readinessDelay?: number | ProbeTiming;
  /** A `preStop` hook's sleep that runs before SIGTERM, in milliseconds. Defaults to 0. */
  preStop?: number;
  /** The terminators' graceful timeout, in milliseconds. Required. */
  gracefulTimeout: number;
  /** The longest the shutdown hooks (beforeShutdown and onShutdown together) may take, in milliseconds. Defaults to 0. */
  hooksTime?: number;
  /**
   * What it must fit in: the platform's grace period, from SIGTERM to SIGKILL. Milliseconds, or
   * `{ terminationGracePeriodSeconds }` (in seconds: the key keeps Kubernetes' name and unit;
   * Kubernetes' own default is 30), or `{ pm2KillTimeout }` (PM2's `kill_timeout`, in
   * milliseconds; PM2's own default is 1600). Required.
   */
  gracePeriod:
    | number
    | {
        /** Kubernetes' `terminationGracePeriodSeconds`, in seconds. */
        terminationGracePeriodSeconds: number;
      }
    | {
        /** PM2's `kill_timeout`, in milliseconds. */
        pm2KillTimeout: number;
      }
    | PlatformGracePeriod;
  /** Emit the warning through `process.emitWarning` when it does not fit. Defaults to true. */
  emitWarning?: boolean;
}

/** What `checkShutdownBudget` found: the parts, their sum, the grace period and whether they fit. */
export interface ShutdownBudget {
  /**
   * The parts added up, in shutdown order; a part of 0 ms is left out, except the graceful
   * timeout. `name` as in the warning (`preStop`, `readiness delay`, `graceful timeout`, `hooks`);
   * `duration` in milliseconds.
   */
  readonly parts: readonly {
    /** Which part: `'preStop'`, `'readiness delay'`, `'graceful timeout'` or `'hooks'`. */
    readonly name: string;
    /** How long it may take, in milliseconds. */
    readonly duration: number;
  }[];
  /** Sum of the parts, in milliseconds. */
  readonly total: number;
  /** The grace period, in milliseconds. */
  readonly gracePeriod: number;
  /** True when `total` is not over `gracePeriod`. */
  readonly fits: boolean;
  /** The warning when it does not fit (emitted unless `emitWarning: false`). */
  readonly warning: HealthWarning | undefined;
}

/** Propagation margin added to a readiness delay computed from probe settings, in milliseconds. */
const DEFAULT_READINESS_MARGIN = 1_000;

const WHERE = 'checkShutdownBudget';
const KNOWN = ['readinessDelay', 'preStop', 'gracefulTimeout', 'hooksTime', 'gracePeriod', 'emitWarning'] as const;

/** The readiness delay for probe settings: failureThreshold x periodSeconds + margin, in milliseconds. */
export function readinessDelay(timing: ProbeTiming, where = 'readinessDelay', option = 'timing'): number {
  assertKnownOptions(`${where} ${option}`, timing, ['failureThreshold', 'periodSeconds', 'margin']);
  const threshold = timing.failureThreshold;
  if (typeof threshold !== 'number') {
    throw new InvalidOptionTypeError(where, `${option}.failureThreshold`, 'a positive integer', threshold);
  }
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new InvalidOptionRangeError(where, `${option}.failureThreshold`, 'a positive integer', threshold);
  }
  const period = timing.periodSeconds;
  if (typeof period !== 'number') {
    throw new InvalidOptionTypeError(where, `${option}.periodSeconds`, 'a positive number of seconds', period);
  }
  if (!Number.isFinite(period) || period <= 0) {
    throw new InvalidOptionRangeError(where, `${option}.periodSeconds`, 'a positive number of seconds', period);
  }
  const margin = assertDuration(
    where,
    `${option}.margin`,
    timing.margin === undefined ? DEFAULT_READINESS_MARGIN : timing.margin,
  );
  return threshold * period * 1_000 + margin;
}

/** The grace period in milliseconds. */
function resolveGracePeriod(value: ShutdownBudgetOptions['gracePeriod'], where: string, option: string): number {
  if (typeof value === 'number') return assertDuration(where, option, value);
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionTypeError(
      where,
      option,
      'milliseconds, { terminationGracePeriodSeconds } or { pm2KillTimeout }',
      value,
    );
  }
  if ('platform' in value) return platformGracePeriod(value, where, option);
  if ('terminationGracePeriodSeconds' in value) {
    assertKnownOptions(`${where} ${option}`, value, ['terminationGracePeriodSeconds']);
    const seconds = value.terminationGracePeriodSeconds;
    return assertDuration(where, `${option}.terminationGracePeriodSeconds`, seconds) * 1_000;
  }
  if ('pm2KillTimeout' in value) {
    assertKnownOptions(`${where} ${option}`, value, ['pm2KillTimeout']);
    return assertDuration(where, `${option}.pm2KillTimeout`, value.pm2KillTimeout);
  }
  throw new InvalidOptionTypeError(
    where,
    option,
    'milliseconds, { terminationGracePeriodSeconds } or { pm2KillTimeout }',
    value,
  );
}

/**
 * Adds up the shutdown's parts and compares them with the platform's grace period. When they
 * do not fit, the warning (code `LASTCALL_SHUTDOWN_BUDGET`) names each part and its size.
 * Call it at start-up.
 */
export function checkShutdownBudget(options: ShutdownBudgetOptions): ShutdownBudget {
  assertKnownOptions(WHERE, options, KNOWN);
  const delay = options.readinessDelay;
  const readiness =
    delay === undefined
      ? 0
      : typeof delay === 'number'
        ? assertDuration(WHERE, 'readinessDelay', delay)
        : readinessDelay(delay, WHERE, 'readinessDelay');
  const parts: ShutdownBudget['parts'][number][] = [
    { name: 'preStop', duration: optional('preStop', options.preStop) },
    { name: 'readiness delay', duration: readiness },
    { name: 'graceful timeout', duration: assertDuration(WHERE, 'gracefulTimeout', options.gracefulTimeout) },
    { name: 'hooks', duration: optional('hooksTime', options.hooksTime) },
  ].filter((part) => part.duration > 0 || part.name === 'graceful timeout');
  if (options.gracePeriod === undefined) {
    throw new InvalidOptionTypeError(WHERE, 'gracePeriod', 'the platform grace period', undefined);
  }
  const grace = resolveGracePeriod(options.gracePeriod, WHERE, 'gracePeriod');
  const shouldEmit = assertBoolean(WHERE, 'emitWarning', options.emitWarning, true);
  const total = parts.reduce((sum, part) => sum + part.duration, 0);
  const fits = total <= grace;
  const warning: HealthWarning | undefined = fits
    ? undefined
    : {
        code: HEALTH_WARNING_CODES.budget,
        message: `the shutdown does not fit the platform's grace period: ${parts
          .map((part) => `${part.name} ${part.duration} ms`)
          .join(
            ' + ',
          )} = ${total} ms, over the grace period of ${grace} ms by ${total - grace} ms; the platform will SIGKILL the process before it ends. Shorten a part or raise the grace period (terminationGracePeriodSeconds, PM2 kill_timeout) to at least ${Math.ceil(total / 1_000)} s`,
      };
  if (warning && shouldEmit) emit(warning);
  return { parts, total, gracePeriod: grace, fits, warning };
}

function optional(option: string, value: unknown): number {
  return value === undefined ? 0 : assertDuration(WHERE, option, value);
}
