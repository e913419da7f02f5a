// Options of createHealth, their defaults (each defined once, here) and their validation.
import {
  assertDuration,
  assertKnownOptions,
  type Clock,
  InvalidOptionRangeError,
  InvalidOptionTypeError,
  systemClock,
} from '@lastcall/core';

type HealthCheck = HealthCheckDefinition['run'];

/** A check with its own timeout. */
export interface HealthCheckDefinition {
  /**
   * The check itself: resolves (or returns) anything but `false` when the dependency is fine;
   * `false`, a throw or a rejection means not ready. `signal` aborts when its timeout passes.
   */
  run: (signal: AbortSignal) => unknown;
  /** This check's timeout in milliseconds. Defaults to the `checkTimeout` option. */
  timeout?: number;
}

/** Where the routing handler (`health.handler`) and the probe server answer each probe. */
export interface ProbePaths {
  /** Defaults to `/readyz`. */
  readiness?: string;
  /** Defaults to `/livez`. */
  liveness?: string;
  /** Defaults to `/startupz`. */
  startup?: string;
}

/** Options of `createHealth`; all are optional. */
export interface HealthOptions {
  /**
   * Readiness checks by name, run (together, each under its own timeout) for each readiness
   * answer while serving; concurrent probes share one run. Not run once shutdown started:
   * readiness is then 503 at once. Defaults to none.
   */
  checks?: Readonly<Record<string, HealthCheckDefinition['run'] | HealthCheckDefinition>>;
  /** Timeout of each check that gives none, in milliseconds. Defaults to 1000. */
  checkTimeout?: number;
  /**
   * Whether the application is started at creation. `false`: startup and readiness answer 503
   * (and agent-check `down`) until `markStarted()`. Defaults to true.
   */
  started?: boolean;
  /** Answer with a JSON body (state, each check's outcome) instead of the status alone. Defaults to false. */
  detail?: boolean;
  /** Paths of the routing handler and the probe server. Defaults: `/readyz`, `/livez`, `/startupz`. */
  paths?: ProbePaths;
  /** Time and timers for the check timeouts (tests). Defaults to core's `systemClock`. */
  clock?: Clock;
}

/** Timeout of a readiness check that gives none, in milliseconds. */
const DEFAULT_CHECK_TIMEOUT = 1_000;

/** The probe paths used when `paths` does not name one. */
const DEFAULT_PROBE_PATHS: Readonly<Required<ProbePaths>> = Object.freeze({
  readiness: '/readyz',
  liveness: '/livez',
  startup: '/startupz',
});

export interface ResolvedCheck {
  readonly name: string;
  readonly run: HealthCheck;
  readonly timeout: number;
}

export interface HealthConfig {
  readonly checks: readonly ResolvedCheck[];
  readonly started: boolean;
  readonly detail: boolean;
  readonly paths: Readonly<Required<ProbePaths>>;
  readonly clock: Clock;
}

const WHERE = 'createHealth';
const KNOWN = ['checks', 'checkTimeout', 'started', 'detail', 'paths', 'clock'] as const;

export function resolveHealthOptions(options: HealthOptions): HealthConfig {
  assertKnownOptions(WHERE, options, KNOWN);
  const checkTimeout = assertDuration(
    WHERE,
    'checkTimeout',
    options.checkTimeout === undefined ? DEFAULT_CHECK_TIMEOUT : options.checkTimeout,
    true,
  );
  return {
    checks: resolveChecks(options.checks, checkTimeout),
    started: assertBoolean(WHERE, 'started', options.started, true),
    detail: assertBoolean(WHERE, 'detail', options.detail, false),
    paths: resolvePaths(options.paths),
    clock: resolveClock(options.clock),
  };
}

export function assertBoolean(where: string, option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionTypeError(where, option, 'a boolean', value);
  return value;
}

function resolveChecks(value: unknown, defaultTimeout: number): ResolvedCheck[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionTypeError(WHERE, 'checks', 'an object of named checks', value);
  }
  return Object.entries(value as Record<string, unknown>).map(([name, check]) => {
    const option = `checks.${name}`;
    if (typeof check === 'function') return { name, run: check as HealthCheck, timeout: defaultTimeout };
    if (typeof check !== 'object' || check === null || typeof (check as { run?: unknown }).run !== 'function') {
      throw new InvalidOptionTypeError(WHERE, option, 'a function or { run, timeout? }', check);
    }
    assertKnownOptions(`${WHERE} ${option}`, check, ['run', 'timeout']);
    const { run, timeout } = check as HealthCheckDefinition;
    return {
      name,
      run,
      timeout: timeout === undefined ? defaultTimeout : assertDuration(WHERE, `${option}.timeout`, timeout, true),
    };
  });
}

function resolvePaths(value: unknown): Readonly<Required<ProbePaths>> {
  if (value === undefined) return DEFAULT_PROBE_PATHS;
  assertKnownOptions(`${WHERE} paths`, value, ['readiness', 'liveness', 'startup']);
  const given = value as ProbePaths;
  const paths = { ...DEFAULT_PROBE_PATHS };
  for (const key of ['readiness', 'liveness', 'startup'] as const) {
    const path = given[key];
    if (path === undefined) continue;
    if (typeof path !== 'string') throw new InvalidOptionTypeError(WHERE, `paths.${key}`, 'a string', path);
    if (!path.startsWith('/'))
      throw new InvalidOptionRangeError(WHERE, `paths.${key}`, 'a path starting with "/"', path);
    paths[key] = path;
  }
  if (new Set(Object.values(paths)).size !== 3) {
    throw new InvalidOptionRangeError(WHERE, 'paths', 'three different paths', value);
  }
  return Object.freeze(paths);
}

// Lifecycle has the same few lines (core checks its own option inline): one shared check would be a
// public name of core, whose 30 are all taken (scripts/test/conventions.test.ts).
export function resolveClock(value: unknown, where = WHERE): Clock {
  if (value === undefined) return systemClock;
  const clock = value as Partial<Clock> | null;
  if (
    typeof clock !== 'object' ||
    clock === null ||
    typeof clock.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  ) {
    throw new InvalidOptionTypeError(where, 'clock', 'a Clock (now, setTimeout, clearTimeout)', value);
  }
  return value as Clock;
}
