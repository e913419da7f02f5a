// One shutdown budget: readiness delay + graceful timeout + hooks, checked against the
// platform's grace period at start-up.

import { InvalidOptionRangeError, InvalidOptionTypeError } from '@lastcall/core';
import { assertDurationMs, assertKnownOptions } from '@lastcall/core/internal';
import { assertBoolean } from './options.js';
import { type PlatformGracePeriod, platformGracePeriod } from './platforms.js';
import { emit, HEALTH_WARNING_CODES, type HealthWarning } from './warnings.js';

/** Probe settings the readiness delay is computed from (Kubernetes' names). */
export interface ProbeTiming {
  /** Failed probes before the checker acts (Kubernetes `failureThreshold`, HAProxy `fall`). */
  failureThreshold: number;
  /** Seconds between probes (Kubernetes `periodSeconds`; HAProxy `inter` / 1000). */
  periodSeconds: number;
  /** Added for propagation (endpoints, kube-proxy), in milliseconds. Defaults to 1000 ms (`DEFAULT_READINESS_MARGIN_MS`). */
  marginMs?: number;
}

/**
 * The platform's grace period, from SIGTERM to SIGKILL: milliseconds, or Kubernetes'
 * `terminationGracePeriodSeconds`, or PM2's `kill_timeout` (milliseconds).
 */
export type GracePeriod =
  | number
  | {
      /** Kubernetes' `terminationGracePeriodSeconds`, in seconds (Kubernetes' own default is 30). */
      terminationGracePeriodSeconds: number;
    }
  | {
      /** PM2's `kill_timeout`, in milliseconds (PM2's own default is 1600). */
      pm2KillTimeoutMs: number;
    }
  | PlatformGracePeriod;

/** Options of `checkShutdownBudget`; `gracefulTimeoutMs` and `gracePeriod` are required. */
export interface ShutdownBudgetOptions {
  /** How long readiness stays 503 with the listener open: milliseconds, or probe settings. Defaults to 0. */
  readinessDelay?: number | ProbeTiming;
  /** A `preStop` hook's sleep that runs before SIGTERM, in milliseconds. Defaults to 0. */
  preStopMs?: number;
  /** The terminators' graceful timeout, in milliseconds. Required. */
  gracefulTimeoutMs: number;
  /** The longest the shutdown hooks (beforeShutdown and onShutdown together) may take, in milliseconds. Defaults to 0. */
  hooksMs?: number;
  /** What it must fit in. Required. */
  gracePeriod: GracePeriod;
  /** Emit the warning through `process.emitWarning` when it does not fit. Defaults to true. */
  emitWarning?: boolean;
}

/** One part of the budget, named as in the warning. */
export interface BudgetPart {
  /** The part, named as in the warning: `preStop`, `readiness delay`, `graceful timeout` or `hooks`. */
  readonly name: string;
  /** Its length, in milliseconds. */
  readonly ms: number;
}

/** What `checkShutdownBudget` found: the parts, their sum, the grace period and whether they fit. */
export interface ShutdownBudget {
  /** The parts added up, in shutdown order; a part of 0 ms is left out, except the graceful timeout. */
  readonly parts: readonly BudgetPart[];
  /** Sum of the parts, in milliseconds. */
  readonly totalMs: number;
  /** The grace period, in milliseconds. */
  readonly gracePeriodMs: number;
  /** True when `totalMs` is not over `gracePeriodMs`. */
  readonly fits: boolean;
  /** The warning when it does not fit (emitted unless `emitWarning: false`). */
  readonly warning: HealthWarning | undefined;
}

/** Propagation margin added to a readiness delay computed from probe settings, in milliseconds. */
export const DEFAULT_READINESS_MARGIN_MS = 1_000;

const WHERE = 'checkShutdownBudget';
const KNOWN = ['readinessDelay', 'preStopMs', 'gracefulTimeoutMs', 'hooksMs', 'gracePeriod', 'emitWarning'] as const;

/** The readiness delay for probe settings: failureThreshold x periodSeconds + margin, in milliseconds. */
export function readinessDelayMs(timing: ProbeTiming, where = 'readinessDelayMs', option = 'timing'): number {
  assertKnownOptions(`${where} ${option}`, timing, ['failureThreshold', 'periodSeconds', 'marginMs']);
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
  const margin = assertDurationMs(
    where,
    `${option}.marginMs`,
    timing.marginMs === undefined ? DEFAULT_READINESS_MARGIN_MS : timing.marginMs,
  );
  return threshold * period * 1_000 + margin;
}

/** The grace period in milliseconds. */
export function gracePeriodMs(value: GracePeriod, where = 'gracePeriodMs', option = 'gracePeriod'): number {
  if (typeof value === 'number') return assertDurationMs(where, option, value);
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionTypeError(
      where,
      option,
      'milliseconds, { terminationGracePeriodSeconds } or { pm2KillTimeoutMs }',
      value,
    );
  }
  if ('platform' in value) return platformGracePeriod(value, where, option);
  if ('terminationGracePeriodSeconds' in value) {
    assertKnownOptions(`${where} ${option}`, value, ['terminationGracePeriodSeconds']);
    const seconds = value.terminationGracePeriodSeconds;
    return assertDurationMs(where, `${option}.terminationGracePeriodSeconds`, seconds) * 1_000;
  }
  if ('pm2KillTimeoutMs' in value) {
    assertKnownOptions(`${where} ${option}`, value, ['pm2KillTimeoutMs']);
    return assertDurationMs(where, `${option}.pm2KillTimeoutMs`, value.pm2KillTimeoutMs);
  }
  throw new InvalidOptionTypeError(
    where,
    option,
    'milliseconds, { terminationGracePeriodSeconds } or { pm2KillTimeoutMs }',
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
  const readinessMs =
    delay === undefined
      ? 0
      : typeof delay === 'number'
        ? assertDurationMs(WHERE, 'readinessDelay', delay)
        : readinessDelayMs(delay, WHERE, 'readinessDelay');
  const parts: BudgetPart[] = [
    { name: 'preStop', ms: optionalMs('preStopMs', options.preStopMs) },
    { name: 'readiness delay', ms: readinessMs },
    { name: 'graceful timeout', ms: assertDurationMs(WHERE, 'gracefulTimeoutMs', options.gracefulTimeoutMs) },
    { name: 'hooks', ms: optionalMs('hooksMs', options.hooksMs) },
  ].filter((part) => part.ms > 0 || part.name === 'graceful timeout');
  if (options.gracePeriod === undefined) {
    throw new InvalidOptionTypeError(WHERE, 'gracePeriod', 'the platform grace period', undefined);
  }
  const grace = gracePeriodMs(options.gracePeriod, WHERE, 'gracePeriod');
  const shouldEmit = assertBoolean(WHERE, 'emitWarning', options.emitWarning, true);
  const totalMs = parts.reduce((sum, part) => sum + part.ms, 0);
  const fits = totalMs <= grace;
  const warning: HealthWarning | undefined = fits
    ? undefined
    : {
        code: HEALTH_WARNING_CODES.budget,
        message: `the shutdown does not fit the platform's grace period: ${parts
          .map((part) => `${part.name} ${part.ms} ms`)
          .join(
            ' + ',
          )} = ${totalMs} ms, over the grace period of ${grace} ms by ${totalMs - grace} ms; the platform will SIGKILL the process before it ends. Shorten a part or raise the grace period (terminationGracePeriodSeconds, PM2 kill_timeout) to at least ${Math.ceil(totalMs / 1_000)} s`,
      };
  if (warning && shouldEmit) emit(warning);
  return { parts, totalMs, gracePeriodMs: grace, fits, warning };
}

function optionalMs(option: string, value: unknown): number {
  return value === undefined ? 0 : assertDurationMs(WHERE, option, value);
}
