// The cluster package's error classes, each with a brand field and a guard that works across two copies.

/** `createPrimary` was used in a process that is not the cluster's primary. */
export class NotPrimaryError extends Error {
  /** Brand read by `isNotPrimaryError`, so the check works across two installed copies of lastcall. */
  readonly isLastcallNotPrimaryError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'NotPrimaryError';
  constructor() {
    super('lastcall: createPrimary() must run in the cluster primary (cluster.isPrimary is false here)');
  }
}

/** True for a `NotPrimaryError` from any copy of @lastcall/cluster. */
export const isNotPrimaryError = (error: unknown): error is NotPrimaryError =>
  typeof error === 'object' && error !== null && 'isLastcallNotPrimaryError' in error;

/** `restart()` was called once the primary had begun shutting down: there is nothing left to restart. */
export class PrimaryStoppingError extends Error {
  /** Brand read by `isPrimaryStoppingError`, so the check works across two installed copies of lastcall. */
  readonly isLastcallPrimaryStoppingError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'PrimaryStoppingError';
  constructor() {
    super('lastcall: the primary is shutting down; no restart will run');
  }
}

/** True for a `PrimaryStoppingError` from any copy of @lastcall/cluster. */
export const isPrimaryStoppingError = (error: unknown): error is PrimaryStoppingError =>
  typeof error === 'object' && error !== null && 'isLastcallPrimaryStoppingError' in error;
