// Runs the steps of one shutdown's phases (hooks, tasks, terminators), each bounded, into the report.
import { describeValue, type TerminationReport, type Terminator, withTimeout } from '@lastcall/core';
import { publishPhaseEnd, publishPhaseStart, publishStepEnd, publishStepStart } from './diagnostics.js';
import { ShutdownForcedError, StepFailedError, StepTimeoutError } from './errors.js';
import type { HookConfig } from './hooks.js';
import type { CoordinatorConfig } from './options.js';
import type { Phase } from './phases.js';
import type { PhaseReport, StepReport } from './report.js';
import { type HookContext, runStep } from './runStep.js';

/**
 * How long core gives a force step to settle before it reports the step as failed, in
 * milliseconds. Core keeps its constant private (it is not a promise of its API): this copy is
 * what the coordinator plans around, and a terminator that takes longer is only waited for
 * less, never wrongly. packages/lifecycle/test/force-settle.test.ts holds the two in step.
 */
export const FORCE_SETTLE_TIMEOUT_MS = 1_000;

/**
 * Time to wait for forced terminators to report, in milliseconds: the core's own settle bound
 * plus a margin for `getConnections()` and the report.
 */
export const FORCED_WAIT_MS = FORCE_SETTLE_TIMEOUT_MS + 500;

export type FnStep = { kind: 'hook' | 'task'; name: string; phase: Phase; order: number; hook: HookConfig };
export type TerminatorStep = {
  kind: 'terminator';
  name: string;
  phase: Phase;
  order: number;
  terminator: Terminator;
};
export type Step = FnStep | TerminatorStep;

/** What every step of one shutdown is told: why it runs. Each hook gets its own abort signal on top. */
export type StepContext = Omit<HookContext, 'abortSignal'>;

/** Who forced the shutdown: a second signal, or the coordinator's deadline. */
export type ForcedBy = 'signal' | 'deadline';

/**
 * Runs the steps of a phase in ascending `order`, equal orders together, each hook or task bounded
 * by its timeout and each terminator by its graceful period. `force()` abandons the hooks running,
 * cuts the terminators' graceful periods short and skips what has not started.
 * One per coordinator: a shutdown runs once.
 */
export class PhaseRunner {
  #forcedBy: ForcedBy | undefined;
  /** Aborted by `force()`: ends the wait for a group of steps at once. */
  readonly #forceController = new AbortController();
  /** Hooks and tasks running now, so a force can abort them. */
  readonly #running = new Set<AbortController>();
  readonly #abortedByForce = new WeakSet<AbortController>();
  /** Terminators that started with a graceful period, and those a force then cut short. */
  readonly #graceful = new Set<Terminator>();
  readonly #forcedTerminators = new Set<Terminator>();

  readonly #config: CoordinatorConfig;

  constructor(config: CoordinatorConfig) {
    this.#config = config;
  }

  /** Set once `force()` was called. */
  get forcedBy(): ForcedBy | undefined {
    return this.#forcedBy;
  }

  /** Abandons running hooks and forces draining terminators now. Only the first call counts. */
  force(by: ForcedBy): void {
    if (this.#forcedBy !== undefined) return;
    this.#forcedBy = by;
    const reason = new ShutdownForcedError(by);
    for (const controller of this.#running) {
      this.#abortedByForce.add(controller);
      controller.abort(reason);
    }
    for (const terminator of this.#graceful) {
      if (terminator.state !== 'draining') continue;
      this.#forcedTerminators.add(terminator);
      // The core cuts its graceful period short and reports the connections it forced.
      void terminator.forceNow();
    }
    this.#forceController.abort(reason);
  }

  /** Runs the steps of `phase` among `all`; `started` is when the shutdown began, for the deadline. */
  async runPhase(phase: Phase, all: readonly Step[], context: StepContext, started: number): Promise<PhaseReport> {
    const { clock, logger, development } = this.#config;
    // Array.prototype.sort is stable: registration order breaks ties within one `order`.
    const steps = all.filter((step) => step.phase === phase).sort((a, b) => a.order - b.order);
    const skip = (why: string): PhaseReport => {
      if (steps.length > 0) logger.info({ event: 'phase', phase, skipped: true }, `${phase} skipped (${why})`);
      return { phase, ran: false, duration: 0, steps: steps.map(skipped) };
    };
    if (phase === 'beforeShutdown' && development) return skip('development mode');
    // Once forced, only the servers still run: they must end, at once, before the exit.
    if (this.#forcedBy !== undefined && phase !== 'servers') return skip('forced');

    const phaseStarted = clock.now();
    publishPhaseStart(phase);
    const reports: StepReport[] = [];
    for (const group of groupByOrder(steps)) {
      if (this.#forcedBy !== undefined && phase !== 'servers') reports.push(...group.map(skipped));
      else reports.push(...(await this.#runGroup(group, context, started)));
    }
    const duration = clock.now() - phaseStarted;
    if (steps.length > 0) {
      const bad = reports.filter((step) => step.outcome !== 'ok').length;
      logger.info(
        { event: 'phase', phase, duration, steps: reports.length, notOk: bad },
        `${phase} done in ${Math.round(duration)} ms (${reports.length} step${reports.length === 1 ? '' : 's'}${bad ? `, ${bad} not ok` : ''})`,
      );
    }
    const report: PhaseReport = { phase, ran: true, duration, steps: reports };
    publishPhaseEnd(report);
    return report;
  }

  /** Runs steps of one `order` concurrently; after a force, waits (bounded) only for terminators. */
  async #runGroup(group: Step[], context: StepContext, started: number): Promise<StepReport[]> {
    const { clock } = this.#config;
    const slots: Array<StepReport | undefined> = group.map(() => undefined);
    const startedAt = group.map(() => clock.now());
    // Forced before this group began (servers phase): only its terminators run, at once.
    const forcedAtStart = this.#forcedBy !== undefined;
    const running = group.map((step, index) =>
      (forcedAtStart && step.kind !== 'terminator'
        ? Promise.resolve(skipped(step))
        : this.#runStep(step, context, started)
      ).then((report) => {
        slots[index] = report;
      }),
    );
    // No timer: every step has its own bound; a force ends the wait for the hooks at once.
    const forced = await withTimeout(
      Promise.all(running).then(() => false),
      Number.POSITIVE_INFINITY,
      clock,
      () => true,
      { signal: this.#forceController.signal },
    );
    if (forced) {
      const terminators = running.filter((_, index) => group[index]?.kind === 'terminator');
      await withTimeout(Promise.allSettled(terminators), FORCED_WAIT_MS, clock, () => undefined);
    }
    return group.map(
      (step, index) =>
        slots[index] ?? {
          ...base(step),
          outcome: 'abandoned',
          duration: clock.now() - (startedAt[index] ?? 0),
          error: new ShutdownForcedError(this.#forcedBy ?? 'signal'),
        },
    );
  }

  async #runStep(step: Step, context: StepContext, started: number): Promise<StepReport> {
    publishStepStart(step, base(step));
    const report = await (step.kind === 'terminator'
      ? this.#runTerminator(step, started)
      : this.#runHook(step, context));
    publishStepEnd(step, report);
    return report;
  }

  async #runHook(step: FnStep, context: StepContext): Promise<StepReport> {
    const { clock, logger, hookTimeout } = this.#config;
    const controller = new AbortController();
    const timeout = step.hook.timeout ?? hookTimeout;
    const stepStarted = clock.now();
    this.#running.add(controller);
    const result = await runStep(step.hook.run, context, controller, timeout, clock);
    this.#running.delete(controller);
    const duration = clock.now() - stepStarted;
    if (this.#abortedByForce.has(controller) && result.outcome !== 'ok') {
      return {
        ...base(step),
        outcome: 'abandoned',
        duration,
        error: new ShutdownForcedError(this.#forcedBy ?? 'signal'),
      };
    }
    if (result.outcome === 'ok') return { ...base(step), outcome: 'ok', duration };
    const error =
      result.outcome === 'failed'
        ? new StepFailedError(step.name, step.phase, result.error)
        : new StepTimeoutError(step.name, step.phase, timeout);
    logger.warn(
      { event: 'step', phase: step.phase, step: step.name, outcome: result.outcome, err: error },
      error.message,
    );
    return { ...base(step), outcome: result.outcome, duration, error };
  }

  async #runTerminator(step: TerminatorStep, started: number): Promise<StepReport> {
    const { clock, logger, deadline, gracefulTimeout, development } = this.#config;
    const { terminator } = step;
    const forced = this.#forcedBy !== undefined;
    const remainingMs = deadline - (clock.now() - started);
    const ownMs = gracefulTimeout ?? terminator.gracefulTimeout;
    // The terminator forces by itself early enough for its sockets to settle before the deadline.
    const graceMs = forced || development ? 0 : Math.max(0, Math.min(ownMs, remainingMs - FORCE_SETTLE_TIMEOUT_MS));
    if (graceMs > 0 && terminator.state === 'running') this.#graceful.add(terminator);
    const stepStarted = clock.now();
    let termination: TerminationReport;
    try {
      termination = await terminator.terminate(graceMs);
    } catch (error) {
      const failure = new StepFailedError(step.name, step.phase, error);
      logger.warn({ event: 'step', phase: step.phase, step: step.name, err: failure }, failure.message);
      return { ...base(step), outcome: 'failed', duration: clock.now() - stepStarted, error: failure };
    }
    const duration = clock.now() - stepStarted;
    const failures = termination.failures;
    for (const failure of failures) {
      logger.warn(
        { event: 'strategy', step: step.name, err: failure.error },
        `${step.name}: ${failure.error instanceof Error ? failure.error.message : describeValue(failure.error)}`,
      );
    }
    // In development mode forcing at once is the point: a forced terminator is not a failure there.
    const outcome =
      failures.length > 0
        ? 'failed'
        : forced || this.#forcedTerminators.has(terminator)
          ? 'forced'
          : termination.timedOut && !development
            ? 'timed-out'
            : 'ok';
    return { ...base(step), outcome, duration, termination };
  }
}

function base(step: Step): Pick<StepReport, 'name' | 'kind' | 'phase' | 'order'> {
  return { name: step.name, kind: step.kind, phase: step.phase, order: step.order };
}

function skipped(step: Step): StepReport {
  return { ...base(step), outcome: 'skipped', duration: 0 };
}

function groupByOrder(sorted: readonly Step[]): Step[][] {
  const groups: Step[][] = [];
  for (const step of sorted) {
    const last = groups[groups.length - 1];
    if (last && last[0]?.order === step.order) last.push(step);
    else groups.push([step]);
  }
  return groups;
}
