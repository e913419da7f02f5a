// What a shutdown resolves with, and the exit policy that reads it.
import type { TerminationReport } from '@lastcall/core';
import { StepFailedError } from './errors.js';
import type { Logger } from './logger.js';
import type { Phase } from './phases.js';

/** What started the shutdown. */
export type ShutdownReason = 'signal' | 'manual' | 'uncaughtException' | 'unhandledRejection';

/**
 * How a step ended:
 * `ok`; `failed` (threw, rejected, `done(error)`, or a terminator's strategy failed);
 * `timed-out` (its own timeout, or a terminator's graceful period, ran out);
 * `forced` (a terminator ended by a second signal or the overall deadline);
 * `abandoned` (a hook or task still running when the shutdown was forced);
 * `skipped` (never started: the shutdown was forced first, or development mode).
 */
export type StepOutcome = 'ok' | 'failed' | 'timed-out' | 'forced' | 'abandoned' | 'skipped';

/** What one hook, task or terminator did. */
export interface StepReport {
  /** The step's name (given, the function's, or `hook N` / `terminator N`). */
  readonly name: string;
  /** How it was registered. */
  readonly kind: 'hook' | 'task' | 'terminator';
  /** The phase it ran in. */
  readonly phase: Phase;
  /** Its position within the phase. */
  readonly order: number;
  /** How it ended. */
  readonly outcome: StepOutcome;
  /** From the step's start to its end, in milliseconds (0 when skipped). */
  readonly duration: number;
  /** The failure, for `failed`, `timed-out` and `abandoned`. */
  readonly error?: unknown;
  /** The terminator's own report, for a terminator that finished. */
  readonly termination?: TerminationReport;
}

/** What one phase did. */
export interface PhaseReport {
  /** Which phase. */
  readonly phase: Phase;
  /** Whether the phase ran, or was skipped whole (forced before it, or development mode). */
  readonly ran: boolean;
  /** Time the phase took, in milliseconds. */
  readonly duration: number;
  /** Its steps, in the order they ran. */
  readonly steps: readonly StepReport[];
}

/** What the shutdown did: one per coordinator, handed to `finally`, logged, and resolved by `shutdown()`. */
export interface ShutdownReport {
  /** What started the shutdown. */
  readonly reason: ShutdownReason;
  /** The signal that started it, when `reason` is `signal`. */
  readonly signal?: NodeJS.Signals;
  /** The error that started it, for `uncaughtException` / `unhandledRejection`. */
  readonly error?: unknown;
  /** From the trigger to the report, in milliseconds. */
  readonly duration: number;
  /** The overall deadline that applied, in milliseconds. */
  readonly deadline: number;
  /** What forced the shutdown, if anything: a second signal, or the overall deadline. */
  readonly forcedBy?: 'signal' | 'deadline';
  /** Whether it ran in development mode (`beforeShutdown` skipped). */
  readonly development: boolean;
  /** Every phase, in order, including those skipped. */
  readonly phases: readonly PhaseReport[];
  /** The `finally` hook's failure, if it threw. */
  readonly finallyError?: unknown;
  /** The exit code the policy chose (applied with `process.exit`, or as `process.exitCode` in no-exit mode). */
  readonly exitCode: number;
}

/**
 * True when every step ended `ok` (or was skipped by development mode). A terminator's
 * outcome is `ok` only when it did not time out and its strategies did not fail.
 */
export function isClean(phases: readonly PhaseReport[]): boolean {
  return phases.every((phase) => phase.steps.every((step) => step.outcome === 'ok' || step.outcome === 'skipped'));
}

/**
 * The exit policy: a second signal exits with `forceExitCode`; an uncaught error, the
 * deadline, or any step that did not end cleanly exits with `failureExitCode`; otherwise 0.
 */
export function chooseExitCode(
  facts: {
    reason: ShutdownReason;
    forcedBy: 'signal' | 'deadline' | undefined;
    phases: readonly PhaseReport[];
    finallyFailed: boolean;
  },
  codes: { failureExitCode: number; forceExitCode: number },
): number {
  if (facts.forcedBy === 'signal') return codes.forceExitCode;
  const failed =
    facts.forcedBy === 'deadline' ||
    facts.reason === 'uncaughtException' ||
    facts.reason === 'unhandledRejection' ||
    facts.finallyFailed ||
    !isClean(facts.phases);
  return failed ? codes.failureExitCode : 0;
}

/**
 * Runs the `finally` option with the report: synchronously (a returned promise is not awaited, and
 * said so); a throw is reported as a `StepFailedError` and makes the exit code a failure's.
 */
export function runFinally(
  report: ShutdownReport,
  facts: Parameters<typeof chooseExitCode>[0],
  // The coordinator's config, as far as this reads it (its type would import the options into the report).
  config: {
    readonly finally: ((report: ShutdownReport) => void) | undefined;
    readonly logger: Logger;
    readonly failureExitCode: number;
    readonly forceExitCode: number;
  },
): ShutdownReport {
  const run = config.finally;
  if (!run) return report;
  try {
    const returned: unknown = run(report);
    if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') {
      config.logger.warn(
        { event: 'finally' },
        'finally returned a promise: it is not awaited (finally is synchronous)',
      );
      (returned as PromiseLike<unknown>).then(undefined, () => undefined);
    }
    return report;
  } catch (error) {
    const failure = new StepFailedError('finally', 'finally', error);
    config.logger.error({ event: 'finally', err: failure }, failure.message);
    return {
      ...report,
      finallyError: failure,
      exitCode: chooseExitCode({ ...facts, finallyFailed: true }, config),
    };
  }
}

/**
 * The steps' outcomes in a few words: `4 steps ok`, or `3 steps ok, timed-out: api`, naming
 * each step that did not end ok (skipped ones only counted).
 */
export function summarizeSteps(phases: readonly PhaseReport[]): { counts: Record<string, number>; text: string } {
  const counts: Record<string, number> = {};
  const named: string[] = [];
  let total = 0;
  for (const phase of phases) {
    for (const step of phase.steps) {
      total++;
      counts[step.outcome] = (counts[step.outcome] ?? 0) + 1;
      if (step.outcome !== 'ok' && step.outcome !== 'skipped') named.push(`${step.outcome}: ${step.name}`);
    }
  }
  if (total === 0) return { counts, text: 'no steps' };
  const ok = counts.ok ?? 0;
  const parts = [`${ok} step${ok === 1 ? '' : 's'} ok`];
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  return { counts, text: [...parts, ...named].join(', ') };
}
