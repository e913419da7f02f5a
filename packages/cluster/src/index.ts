// @lastcall/cluster public surface: the primary, the worker helper, their options, reports and errors.
export { createPrimary } from './createPrimary.js';
export { CLUSTER_CHANNELS, type ClusterMessage } from './diagnostics.js';
export { isNotPrimaryError, isPrimaryStoppingError, NotPrimaryError, PrimaryStoppingError } from './errors.js';
export type { PrimaryOptions } from './options.js';
export type { ClusterPrimary } from './Primary.js';
export type {
  PrimaryShutdownReport,
  RestartReport,
  SlotRestartReport,
  WorkerRef,
  WorkerStopReport,
} from './report.js';
export { type ClusterWorker, clusterWorker } from './worker.js';
