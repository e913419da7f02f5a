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
export type { PrimaryConfig, PrimaryOptions } from './options.js';
export { ClusterPrimary, type PrimaryState } from './Primary.js';
export type {
  PrimaryShutdownReport,
  RestartOutcome,
  RestartReport,
  SlotOutcome,
  SlotRestartReport,
  WorkerRef,
  WorkerStopReport,
} from './report.js';
export { type ClusterWorker, type ClusterWorkerOptions, clusterWorker } from './worker.js';
