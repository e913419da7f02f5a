// Runs one hook or task: promise, sync or done-callback style, bounded by its own timeout.
import { type Clock, withTimeout } from '@lastcall/core';
import type { ShutdownReason } from './report.js';

/** What every hook and task receives. */
export interface HookContext {
  /** What started the shutdown. */
  readonly reason: ShutdownReason;
  /** The signal that started the shutdown, when `reason` is `signal`. */
  readonly signal: NodeJS.Signals | undefined;
  /** The error that started it, for `uncaughtException` / `unhandledRejection`. */
  readonly error: unknown;
  /** Aborted when this step timed out or the shutdown was forced: stop work that is no longer awaited. */
  readonly abortSignal: AbortSignal;
}

/**
 * A hook or task. It is done when the promise it returns settles, or when it returns
 * something else. A function that declares two parameters is done-style: it is done when it
 * calls `done()` (or `done(error)`), which may happen synchronously, before it returns.
 */
export type StepFunction = (context: HookContext, done: (error?: unknown) => void) => unknown;

export type StepResult =
  | { readonly outcome: 'ok' }
  | { readonly outcome: 'failed'; readonly error: unknown }
  | { readonly outcome: 'timed-out' };

/** Calls `run`, never throws: a throw, a rejection and `done(error)` all become a rejection. */
function invoke(run: StepFunction, context: HookContext): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // `resolve`/`reject` exist before `run` is called, so a synchronous `done()` is safe.
    let called = false;
    const done = (error?: unknown): void => {
      if (called) return;
      called = true;
      if (error === undefined || error === null) resolve();
      else reject(error);
    };
    try {
      const returned = run(context, done);
      if (run.length >= 2) {
        // Done-style: completion is `done()`; a rejected promise still counts as a failure.
        if (isThenable(returned)) returned.then(undefined, done);
      } else if (isThenable(returned)) returned.then(() => resolve(), reject);
      else resolve();
    } catch (error) {
      reject(error);
    }
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs a step to its end or its timeout. On timeout the step's `abortSignal` is aborted
 * and the step is left behind: its promise may still settle, nobody waits for it.
 */
export function runStep(
  run: StepFunction,
  context: Omit<HookContext, 'abortSignal'>,
  controller: AbortController,
  timeout: number,
  clock: Clock,
): Promise<StepResult> {
  let finish: (result: StepResult) => void = () => undefined;
  const finished = new Promise<StepResult>((resolve) => {
    finish = resolve;
  });
  // The wait, and its timer, start before `run` is called: time spent in its synchronous part counts.
  const result = withTimeout(finished, timeout, clock, (): StepResult => {
    controller.abort();
    return { outcome: 'timed-out' };
  });
  invoke(run, { ...context, abortSignal: controller.signal }).then(
    () => finish({ outcome: 'ok' }),
    (error: unknown) => finish({ outcome: 'failed', error }),
  );
  return result;
}
