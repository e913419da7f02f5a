// @lastcall/health public surface: the health state and its probes, the agent-check
// responder, the acknowledged delay drain, and the start-up checks (budget, keep-alive).
export {
  AcknowledgedDelayDrain,
  type AcknowledgedDelayDrainOptions,
  type BalancerKind,
  type DelayOutcome,
} from './AcknowledgedDelayDrain.js';
export type { AgentCheckOptions, AgentCheckServer } from './agentCheck.js';
export type { CoordinatorLike } from './attach.js';
export {
  type BudgetPart,
  checkShutdownBudget,
  type GracePeriod,
  type ProbeTiming,
  readinessDelay,
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
export { checkKeepAlive, type KeepAliveCheckOptions, type KeepAliveServer } from './keepAlive.js';
export type {
  HealthCheck,
  HealthCheckDefinition,
  HealthOptions,
  ProbePaths,
} from './options.js';
export type { ProbeServer, ProbeServerOptions } from './probeServer.js';
export { HEALTH_WARNING_CODES, type HealthWarning, type HealthWarningCode } from './warnings.js';
