// Lifecycle's error classes. Each has a brand field and a guard, so checks work across two copies.
import { describeValue } from '@lastcall/core/internal';
import type { Phase } from './phases.js';

const reason = (cause: unknown): string => (cause instanceof Error ? cause.message : describeValue(cause));

/** A hook or task threw, rejected, or called `done(error)`. The shutdown went on. */
export class StepFailedError extends Error {
  readonly isLastcallStepFailedError = true;
  override readonly name = 'StepFailedError';
  constructor(
    readonly step: string,
    readonly phase: Phase | 'finally',
    cause: unknown,
  ) {
    super(`lastcall: ${phase} step "${step}" failed: ${reason(cause)}`, { cause });
  }
}

export const isStepFailedError = (error: unknown): error is StepFailedError =>
  typeof error === 'object' && error !== null && 'isLastcallStepFailedError' in error;

/** A hook or task did not settle within its timeout. The shutdown went on without it. */
export class StepTimeoutError extends Error {
  readonly isLastcallStepTimeoutError = true;
  override readonly name = 'StepTimeoutError';
  constructor(
    readonly step: string,
    readonly phase: Phase,
    readonly timeoutMs: number,
  ) {
    super(`lastcall: ${phase} step "${step}" did not finish within ${timeoutMs} ms`);
  }
}

export const isStepTimeoutError = (error: unknown): error is StepTimeoutError =>
  typeof error === 'object' && error !== null && 'isLastcallStepTimeoutError' in error;

/** The shutdown was forced (second signal, or the overall deadline) while this step was running. */
export class ShutdownForcedError extends Error {
  readonly isLastcallShutdownForcedError = true;
  override readonly name = 'ShutdownForcedError';
  constructor(readonly by: 'signal' | 'deadline') {
    super(`lastcall: the shutdown was forced by ${by === 'signal' ? 'a second signal' : 'the overall deadline'}`);
  }
}

export const isShutdownForcedError = (error: unknown): error is ShutdownForcedError =>
  typeof error === 'object' && error !== null && 'isLastcallShutdownForcedError' in error;

/**
 * A second coordinator was created for a process that already has one. Two coordinators
 * would both answer SIGTERM and both exit; register everything with the first one instead,
 * or `dispose()` it first.
 */
export class CoordinatorActiveError extends Error {
  readonly isLastcallCoordinatorActiveError = true;
  override readonly name = 'CoordinatorActiveError';
  constructor() {
    super(
      'lastcall: this process already has a shutdown coordinator; register with it, or dispose() it before creating another',
    );
  }
}

export const isCoordinatorActiveError = (error: unknown): error is CoordinatorActiveError =>
  typeof error === 'object' && error !== null && 'isLastcallCoordinatorActiveError' in error;

/** `add()` or `task()` was called after the shutdown started: the step would never run. */
export class ShutdownStartedError extends Error {
  readonly isLastcallShutdownStartedError = true;
  override readonly name = 'ShutdownStartedError';
  constructor(what: string) {
    super(`lastcall: cannot register ${what}: the shutdown has already started`);
  }
}

export const isShutdownStartedError = (error: unknown): error is ShutdownStartedError =>
  typeof error === 'object' && error !== null && 'isLastcallShutdownStartedError' in error;
