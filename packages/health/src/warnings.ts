// The warning codes @lastcall/health emits through process.emitWarning, defined once.

/** Codes of the start-up warnings, for `process.on('warning')` filters and tests. */
export const HEALTH_WARNING_CODES = {
  /** The shutdown's parts (readiness delay, graceful timeout, hooks) do not fit the platform's grace period. */
  budget: 'LASTCALL_SHUTDOWN_BUDGET',
  /** `server.keepAliveTimeout` is not above the upstream balancer's idle timeout. */
  keepAlive: 'LASTCALL_KEEPALIVE_TIMEOUT',
  /** `server.headersTimeout` is not above `server.keepAliveTimeout`. */
  headersTimeout: 'LASTCALL_HEADERS_TIMEOUT',
} as const;

/** A warning as returned by the checks (and emitted unless told not to). */
export interface HealthWarning {
  /** Which check it is (`HEALTH_WARNING_CODES`). */
  readonly code: (typeof HEALTH_WARNING_CODES)[keyof typeof HEALTH_WARNING_CODES];
  /** What is wrong and which value to set, as emitted through `process.emitWarning`. */
  readonly message: string;
}

export function emit(warning: HealthWarning): void {
  process.emitWarning(warning.message, { code: warning.code });
}
