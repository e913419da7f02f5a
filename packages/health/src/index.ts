// @lastcall/health public surface: the health state and its probes, the agent-check
// responder, the acknowledged delay drain, and the start-up checks (budget, keep-alive).
export {
  AcknowledgedDelayDrain,
  type AcknowledgedDelayDrainOptions,
  type DelayOutcome,
} from './AcknowledgedDelayDrain.js';
export type { AgentCheckOptions, AgentCheckServer } from './agentCheck.js';
export {
  checkShutdownBudget,
  type ProbeTiming,
  readinessDelay,
  type ShutdownBudget,
  type ShutdownBudgetOptions,
} from './budget.js';
export { isPortInUseError, PortInUseError } from './errors.js';
export { createHealth, Health } from './Health.js';
export { checkKeepAlive, type KeepAliveCheckOptions } from './keepAlive.js';
export type { HealthCheckDefinition, HealthOptions, ProbePaths } from './options.js';
export type { PlatformGracePeriod } from './platforms.js';
export type { ProbeServer, ProbeServerOptions } from './probeServer.js';
export type { HealthState, NotReadyAnswers, ProbeHandler, ReadinessResult } from './state.js';
export { HEALTH_WARNING_CODES, type HealthWarning } from './warnings.js';
