// @lastcall/health public surface: the health state and its probes, the agent-check
// responder, the acknowledged delay drain, and the start-up checks (budget, keep-alive).
export {
  AcknowledgedDelayDrain,
  type AcknowledgedDelayDrainOptions,
  type BalancerKind,
  type DelayOutcome,
} from './AcknowledgedDelayDrain.js';
export {
  type AgentCheckOptions,
  type AgentCheckServer,
  DEFAULT_AGENT_MAX_CONNECTIONS,
  DEFAULT_AGENT_SOCKET_TIMEOUT_MS,
} from './agentCheck.js';
export type { CoordinatorLike } from './attach.js';
export {
  type BudgetPart,
  checkShutdownBudget,
  DEFAULT_READINESS_MARGIN_MS,
  type GracePeriod,
  gracePeriodMs,
  type ProbeTiming,
  readinessDelayMs,
  type ShutdownBudget,
  type ShutdownBudgetOptions,
} from './budget.js';
export { isPortInUseError, PortInUseError } from './errors.js';
export {
  type CheckOutcome,
  createHealth,
  Health,
  type HealthState,
  type HealthStateListener,
  type NotReadyAnswerListener,
  type NotReadyAnswers,
  type ProbeChannel,
  type ProbeHandler,
  type ReadinessResult,
  type RoutingHandler,
} from './Health.js';
export {
  checkKeepAlive,
  KEEPALIVE_MARGIN_MS,
  type KeepAliveCheckOptions,
  type KeepAliveServer,
  UPSTREAM_IDLE_TIMEOUTS_MS,
} from './keepAlive.js';
export { DEFAULT_PROBE_HOST } from './listen.js';
export {
  DEFAULT_CHECK_TIMEOUT_MS,
  DEFAULT_PROBE_PATHS,
  type HealthCheck,
  type HealthCheckDefinition,
  type HealthOptions,
  type ProbePaths,
} from './options.js';
export type { PlatformGracePeriod } from './platforms.js';
export { DEFAULT_PROBE_REQUEST_TIMEOUT_MS, type ProbeServer, type ProbeServerOptions } from './probeServer.js';
export { HEALTH_WARNING_CODES, type HealthWarning, type HealthWarningCode } from './warnings.js';
