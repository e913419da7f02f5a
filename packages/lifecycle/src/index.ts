// @lastcall/lifecycle public surface: the coordinator, its options, its report, its errors, the PM2 fit.
/**
 * Signals, hooks, exit policy and progress logging around `@lastcall/core` terminators: `createCoordinator`.
 *
 * @packageDocumentation
 * @module @lastcall/lifecycle
 */
export { createCoordinator } from './createCoordinator.js';
export {
  CoordinatorActiveError,
  isCoordinatorActiveError,
  isShutdownForcedError,
  isShutdownStartedError,
  isStepFailedError,
  isStepTimeoutError,
  ShutdownForcedError,
  ShutdownStartedError,
  StepFailedError,
  StepTimeoutError,
} from './errors.js';
export type { HookDefinition } from './hooks.js';
export { type ConsoleLoggerOptions, consoleLogger, type LogFn, type Logger, resolveLogger } from './logger.js';
export type { CoordinatorOptions } from './options.js';
export type { ProcessLike } from './ProcessLike.js';
export type { Phase } from './phases.js';
export { PM2_WARNING_CODES, type Pm2Integration, underPm2 } from './pm2.js';
export type { Pm2Settings } from './pm2Settings.js';
export type { PhaseReport, ShutdownReason, ShutdownReport, StepOutcome, StepReport } from './report.js';
export type { HookContext, StepFunction } from './runStep.js';
export type { ShutdownCoordinator } from './ShutdownCoordinator.js';
