// What the harness and the backend process agree on: environment variable names, the probe's
// path, and the line the backend prints at exit.

/** Environment variables the backend reads. */
export const BACKEND_ENV = {
  port: 'E2E_PORT',
  agentPort: 'E2E_AGENT_PORT',
  /** `0`: readiness stays 200 during the shutdown (to show the tests fail without the flip). */
  flip: 'E2E_READINESS_FLIP',
  /** `ack` (default: AcknowledgedDelayDrain), `fixed` (DelayedCloseDrain) or `off` (to show the tests fail without the delay). */
  delay: 'E2E_DELAY',
  fall: 'E2E_FALL',
  maxDelayMs: 'E2E_MAX_DELAY_MS',
} as const;

/** The readiness probe's path: @lastcall/health's default. */
export const READINESS_PATH = '/readyz';

/** What a backend prints as `EXIT {json}` just before it exits. */
export interface BackendExit {
  /** Application requests served (probes excluded). */
  requests: number;
  /** Connections that carried application requests. */
  connections: number;
  /** Of those, the ones whose first application request came after SIGTERM: the churn a shutdown causes. */
  connectionsAfterSigterm: number;
  /** Measured inside the process, SIGTERM to the coordinator's `finally`, in ms. */
  sigtermToExitMs: number;
}
