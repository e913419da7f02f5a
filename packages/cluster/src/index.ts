// @lastcall/cluster public surface: the primary, the worker helper, their options, reports and errors.
export { createPrimary } from './createPrimary.js';
export {
  CLUSTER_CHANNELS,
  type PrimaryShutdownMessage,
  type RestartEndMessage,
  type RestartStartMessage,
  type WorkerCrashMessage,
} from './diagnostics.js';
export { isNotPrimaryError, isPrimaryStoppingError, NotPrimaryError, PrimaryStoppingError } from './errors.js';
export { MESSAGE_TAG, type ReadyMessage, type ShutdownMessage } from './messages.js';
export {
  DEFAULT_CRASH_BACKOFF_MAX_MS,
  DEFAULT_CRASH_BACKOFF_MS,
  DEFAULT_FAILURE_EXIT_CODE,
  DEFAULT_MAX_UNAVAILABLE,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_RESTART_SIGNAL,
  DEFAULT_SHUTDOWN_SIGNALS,
  DEFAULT_WORKER_DEADLINE_MS,
  type PrimaryConfig,
  type PrimaryOptions,
} from './options.js';
export { ClusterPrimary, type PrimaryState, SLOT_ENV } from './Primary.js';
export type {
  PrimaryShutdownReport,
  RestartOutcome,
  RestartReport,
  SlotOutcome,
  SlotRestartReport,
  WorkerRef,
  WorkerStopReport,
} from './report.js';
export {
  type ClusterWorker,
  type ClusterWorkerOptions,
  clusterWorker,
  DEFAULT_DISCONNECT_TIMEOUT_MS,
  DISCONNECT_TASK,
} from './worker.js';
