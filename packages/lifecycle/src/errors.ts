// Lifecycle's error classes. Each has a brand field and a guard, so checks work across two copies.
import { describeValue } from '@lastcall/core';
import type { Phase } from './phases.js';

const reason = (cause: unknown): string => (cause instanceof Error ? cause.message : describeValue(cause));

/** A hook or task threw, rejected, or called `done(error)`. The shutdown went on. */
export class StepFailedError extends Error {
  /** Brand read by `isStepFailedError`, so the check works across two installed copies. */
  readonly isLastcallStepFailedError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'StepFailedError';
  constructor(
    /** The name of the hook, task or terminator. */
    readonly step: string,
    /** The phase the step ran in (`finally` for the `finally` callback). */
    readonly phase: Phase | 'finally',
    cause: unknown,
  ) {
    super(`lastcall: ${phase} step "${step}" failed: ${reason(cause)}`, { cause });
  }
}

/** True for a `StepFailedError` from any copy of lastcall. */
export const isStepFailedError = (error: unknown): error is StepFailedError =>
  typeof error === 'object' && error !== null && 'isLastcallStepFailedError' in error;

/** A hook or task did not settle within its timeout. The shutdown went on without it. */
export class StepTimeoutError extends Error {
  /** Brand read by `isStepTimeoutError`, so the check works across two installed copies. */
  readonly isLastcallStepTimeoutError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'StepTimeoutError';
  constructor(
    /** The name of the hook, task or terminator. */
    readonly step: string,
    /** The phase the step ran in. */
    readonly phase: Phase,
    /** The timeout that ran out, in milliseconds. */
    readonly timeout: number,
  ) {
    super(`lastcall: ${phase} step "${step}" did not finish within ${timeout} ms`);
  }
}

/** True for a `StepTimeoutError` from any copy of lastcall. */
export const isStepTimeoutError = (error: unknown): error is StepTimeoutError =>
  typeof error === 'object' && error !== null && 'isLastcallStepTimeoutError' in error;

/** The shutdown was forced (second signal, or the overall deadline) while this step was running. */
export class ShutdownForcedError extends Error {
  /** Brand read by `isShutdownForcedError`, so the check works across two installed copies. */
  readonly isLastcallShutdownForcedError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'ShutdownForcedError';
  constructor(
    /** What forced it: a second signal, or the overall deadline. */
    readonly by: 'signal' | 'deadline',
  ) {
    super(`lastcall: the shutdown was forced by ${by === 'signal' ? 'a second signal' : 'the overall deadline'}`);
  }
}

/** True for a `ShutdownForcedError` from any copy of lastcall. */
export const isShutdownForcedError = (error: unknown): error is ShutdownForcedError =>
  typeof error === 'object' && error !== null && 'isLastcallShutdownForcedError' in error;

/**
 * A second coordinator was created for a process that already has one. Two coordinators
 * would both answer SIGTERM and both exit; register everything with the first one instead,
 * or `dispose()` it first.
 */
export class CoordinatorActiveError extends Error {
  /** Brand read by `isCoordinatorActiveError`, so the check works across two installed copies. */
  readonly isLastcallCoordinatorActiveError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'CoordinatorActiveError';
  constructor() {
    super(
      'lastcall: this process already has a shutdown coordinator; register with it, or dispose() it before creating another',
    );
  }
}

/** True for a `CoordinatorActiveError` from any copy of lastcall. */
export const isCoordinatorActiveError = (error: unknown): error is CoordinatorActiveError =>
  typeof error === 'object' && error !== null && 'isLastcallCoordinatorActiveError' in error;

/** `add()` or `task()` was called after the shutdown started: the step would never run. */
export class ShutdownStartedError extends Error {
  /** Brand read by `isShutdownStartedError`, so the check works across two installed copies. */
  readonly isLastcallShutdownStartedError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'ShutdownStartedError';
  constructor(what: string) {
    super(`lastcall: cannot register ${what}: the shutdown has already started`);
  }
}

/** True for a `ShutdownStartedError` from any copy of lastcall. */
export const isShutdownStartedError = (error: unknown): error is ShutdownStartedError =>
  typeof error === 'object' && error !== null && 'isLastcallShutdownStartedError' in error;
