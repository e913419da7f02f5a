// What the rolling-restart scenario and its backend fixture (rolling-backend.ts) agree on beyond
// the e2e harness's own protocol: which shutdown a backend runs, and the fixed delays' length.

/** Environment variable naming the backend's shutdown: one of ROLLING_MODES. */
export const ROLLING_MODE_ENV = 'BENCH_ROLLING_MODE';

/** The shutdowns measured, by adapter id (each a backend mode of the one fixture). */
export const ROLLING_MODES = [
  'lastcall',
  'node-close',
  'http-terminator',
  'terminus',
  'terminus-delay',
  'lightship',
] as const;
export type RollingMode = (typeof ROLLING_MODES)[number];

/**
 * The fixed delay before the listener closes, in ms: terminus' `beforeShutdown` and lightship's
 * `shutdownDelay`, as the issue measured them; also the bound of lastcall's acknowledged delay.
 */
export const FIXED_DELAY_MS = 1_000;

/** Graceful period of every backend's drain after its delay, in ms: far past any request's 5 ms. */
export const ROLLING_GRACEFUL_MS = 5_000;

/** lightship serves its probes on a port of its own, at this path (its documented readiness). */
export const LIGHTSHIP_READINESS_PATH = '/ready';
