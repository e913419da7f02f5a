// What the rolling-restart scenario and its backend fixture (rolling-backend.ts) agree on beyond
// the e2e harness's own protocol: which shutdown a backend runs, and the fixed delays' length.

/** Environment variable naming the backend's shutdown: one of ROLLING_MODES. */
export const ROLLING_MODE_ENV = 'BENCH_ROLLING_MODE';

/**
 * lastcall's drains besides its recommended one (`lastcall`: AcknowledgedDelayDrain, balancer
 * 'l7'), each a row of lastcall's adapter: the listener closed at once (KeepAliveDrain, the
 * default), a fixed delay (DelayedCloseDrain), the acknowledged delay with balancer 'l4'
 * (`Connection: close` during the delay).
 */
export const LASTCALL_VARIANTS = ['lastcall-keepalive', 'lastcall-delayed', 'lastcall-ack-l4'] as const;
export type LastcallVariant = (typeof LASTCALL_VARIANTS)[number];

/** The shutdowns measured: the adapters' ids and lastcall's variants (each a backend mode of the one fixture). */
export const ROLLING_MODES = [
  'lastcall',
  ...LASTCALL_VARIANTS,
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

/**
 * Environment variable with the balancer's upstream idle timeout, in ms, for lastcall's
 * AcknowledgedDelayDrain 'l7' (`upstreamIdleTimeout`): set behind nginx, whose pool has no check
 * (docs/load-balancers.md); unset behind HAProxy, whose check takes the backend out first.
 */
export const ROLLING_UPSTREAM_IDLE_ENV = 'BENCH_ROLLING_UPSTREAM_IDLE';

/** nginx's upstream `keepalive_timeout` in the generated config (packages/verify's nginxConfig), in ms. */
export const NGINX_UPSTREAM_IDLE_MS = 4_000;
