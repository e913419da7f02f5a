// The cluster package's error classes, each with a brand field and a guard that works across two copies.

/** `createPrimary` was used in a process that is not the cluster's primary. */
export class NotPrimaryError extends Error {
  readonly isLastcallNotPrimaryError = true;
  override readonly name = 'NotPrimaryError';
  constructor() {
    super('lastcall: createPrimary() must run in the cluster primary (cluster.isPrimary is false here)');
  }
}

export const isNotPrimaryError = (error: unknown): error is NotPrimaryError =>
  typeof error === 'object' && error !== null && 'isLastcallNotPrimaryError' in error;

/** `restart()` was called once the primary had begun shutting down: there is nothing left to restart. */
export class PrimaryStoppingError extends Error {
  readonly isLastcallPrimaryStoppingError = true;
  override readonly name = 'PrimaryStoppingError';
  constructor() {
    super('lastcall: the primary is shutting down; no restart will run');
  }
}

export const isPrimaryStoppingError = (error: unknown): error is PrimaryStoppingError =>
  typeof error === 'object' && error !== null && 'isLastcallPrimaryStoppingError' in error;
