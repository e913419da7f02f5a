// The shutdown coordinator: one per process; signals in, ordered phases, one exit out.
import { assertDuration, describeValue, InvalidOptionTypeError, type Terminator } from '@lastcall/core';
import { publishShutdownEnd, publishShutdownStart } from './diagnostics.js';
import { CoordinatorActiveError, ShutdownStartedError } from './errors.js';
import { assertName, assertOrder, type HookConfig } from './hooks.js';
import { flushLogger } from './logger.js';
import type { CoordinatorConfig } from './options.js';
import { type FnStep, type ForcedBy, PhaseRunner, type Step, type TerminatorStep } from './PhaseRunner.js';
import type { ProcessListener } from './ProcessLike.js';
import { isPhase, PHASES, type Phase } from './phases.js';
import { watchTerminators } from './progress.js';
import {
  chooseExitCode,
  type PhaseReport,
  runFinally,
  type ShutdownReason,
  type ShutdownReport,
  summarizeSteps,
} from './report.js';
import type { StepFunction } from './runStep.js';
import { warnForeignListeners } from './signals.js';

/**
 * Owns the process's shutdown. Made by `createCoordinator`; terminators and cleanup tasks
 * register with it; a signal (or `shutdown()`, or an uncaught error when enabled) runs the
 * phases `beforeShutdown -> servers -> onShutdown -> finally`, then applies the exit policy.
 * A second signal forces: running hooks are abandoned, terminators force their connections
 * now, later phases are skipped, `finally` still runs, the exit code is `forceExitCode`.
 */
export interface ShutdownCoordinator {
  /** `idle` until a trigger, `shutting-down` while the phases run, `done` once the report is out. */
  readonly state: 'idle' | 'shutting-down' | 'done';
  /**
   * Registers a terminator: it drains in the `servers` phase. Returns a function that
   * unregisters it (before the shutdown starts). Registering the same terminator twice is a no-op.
   * `name` is shown in progress lines and the report (defaults to `terminator N`); `order` is its
   * position within the `servers` phase, ascending, equal orders draining together (defaults to 0).
   * @throws ShutdownStartedError once the shutdown has started.
   */
  add(terminator: Terminator, options?: { name?: string; order?: number }): () => void;
  /**
   * Registers a cleanup task (close a pool, flush a logger), `onShutdown` unless `phase` says
   * otherwise. `run` may return a promise, return nothing, or take `(context, done)` and call
   * `done()`. `order`: position within its phase, ascending, equal orders run concurrently
   * (defaults to 0); `timeout`: the task's own, in milliseconds (defaults to the coordinator's
   * `hookTimeout`). Returns a function that unregisters it (before the shutdown starts).
   * @throws ShutdownStartedError once the shutdown has started.
   */
  task(name: string, run: StepFunction, options?: { phase?: Phase; order?: number; timeout?: number }): () => void;
  /**
   * Starts the shutdown now, as a signal would (reason `manual`), and resolves with the report
   * after the exit policy ran (with `exit: true` the process exits first). A second call
   * returns the same promise.
   */
  shutdown(): Promise<ShutdownReport>;
  /**
   * Removes every process listener this coordinator added and frees the process for another
   * coordinator. A shutdown already running goes on (a later signal no longer forces it).
   * Called by the coordinator itself when the shutdown is done. Idempotent.
   */
  dispose(): void;
}

type CoordinatorState = ShutdownCoordinator['state'];
type AddTerminatorOptions = NonNullable<Parameters<ShutdownCoordinator['add']>[1]>;
type TaskOptions = NonNullable<Parameters<ShutdownCoordinator['task']>[2]>;

type Trigger = { reason: ShutdownReason; signal?: NodeJS.Signals; error?: unknown };

// One coordinator per process object: two would both answer SIGTERM and both exit.
const active = new WeakMap<object, ShutdownCoordinator>();

/** The coordinator `createCoordinator` makes (the class stays private: the interface is the API). */
export class Coordinator implements ShutdownCoordinator {
  #state: CoordinatorState = 'idle';
  #steps: Step[] = [];
  #counter = 0;
  /** Undo of every process listener added, run in reverse by `dispose()`. */
  #subscriptions: Array<() => void> = [];
  /** The signal listeners this coordinator added, and the foreign ones already warned about. */
  readonly #ownListeners = new Set<ProcessListener>();
  readonly #warnedListeners = new Map<string, Set<ProcessListener>>();
  #result: Promise<ShutdownReport> | undefined;
  /** Runs the phases' steps; knows whether, and by what, the shutdown was forced. */
  readonly #runner: PhaseRunner;

  constructor(
    /** What it runs with: the options of `createCoordinator`, validated, with their defaults. */
    readonly config: CoordinatorConfig,
  ) {
    if (active.has(config.process)) throw new CoordinatorActiveError();
    this.#runner = new PhaseRunner(config);
    for (const hook of config.beforeShutdown) this.#addHook('hook', 'beforeShutdown', hook);
    for (const hook of config.onShutdown) this.#addHook('hook', 'onShutdown', hook);
    this.#listen();
    active.set(config.process, this);
    // One owner of the signals: another listener would run a second shutdown beside ours.
    warnForeignListeners(
      config.process,
      config.signals,
      this.#ownListeners,
      this.#warnedListeners,
      config.logger,
      'start',
    );
  }

  /** `idle` until a trigger, `shutting-down` while the phases run, `done` once the report is out. */
  get state(): CoordinatorState {
    return this.#state;
  }

  /**
   * Registers a terminator: it drains in the `servers` phase. Returns a function that
   * unregisters it (before the shutdown starts). Registering the same terminator twice is a no-op.
   * @throws ShutdownStartedError once the shutdown has started.
   */
  add(terminator: Terminator, options: AddTerminatorOptions = {}): () => void {
    const where = 'add';
    if (this.#state !== 'idle') throw new ShutdownStartedError('a terminator');
    const candidate = terminator as Partial<Terminator> | null;
    if (typeof candidate !== 'object' || candidate === null || typeof candidate.terminate !== 'function') {
      throw new InvalidOptionTypeError(where, 'terminator', 'a Terminator from createTerminator()', terminator);
    }
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionTypeError(where, 'options', 'an object', options);
    }
    const existing = this.#steps.find((step) => step.kind === 'terminator' && step.terminator === terminator);
    if (existing) return () => this.#remove(existing);
    const step: TerminatorStep = {
      kind: 'terminator',
      name: assertName(where, 'name', options.name) ?? `terminator ${++this.#counter}`,
      phase: 'servers',
      order: assertOrder(where, 'order', options.order),
      terminator,
    };
    this.#steps.push(step);
    return () => this.#remove(step);
  }

  /**
   * Registers a cleanup task (close a pool, flush a logger), `onShutdown` unless `phase` says
   * otherwise. `run` may return a promise, return nothing, or take `(context, done)` and call
   * `done()`. Returns a function that unregisters it (before the shutdown starts).
   * @throws ShutdownStartedError once the shutdown has started.
   */
  task(name: string, run: StepFunction, options: TaskOptions = {}): () => void {
    const where = 'task';
    // task(fn) is the likely slip (hooks take a bare function): say so, rather than report the
    // missing second argument as a bad `run`.
    if (typeof name === 'function') {
      throw new InvalidOptionTypeError(where, 'name', 'a non-empty string (the name comes first)', name, {
        hint: `register it as task('${(name as { name?: string }).name || 'close the pool'}', fn)`,
      });
    }
    if (this.#state !== 'idle') throw new ShutdownStartedError(`task ${describeValue(name)}`);
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionTypeError(where, 'options', 'an object', options);
    }
    const phase = options.phase === undefined ? 'onShutdown' : options.phase;
    if (!isPhase(phase)) throw new InvalidOptionTypeError(where, 'phase', `one of ${PHASES.join(', ')}`, phase);
    if (typeof run !== 'function') throw new InvalidOptionTypeError(where, 'run', 'a function', run);
    const hook: HookConfig = {
      name: assertName(where, 'name', name),
      run,
      timeout: options.timeout === undefined ? undefined : assertDuration(where, 'timeout', options.timeout, true),
      order: assertOrder(where, 'order', options.order),
    };
    return this.#addHook('task', phase, hook);
  }

  /**
   * Starts the shutdown now, as a signal would (reason `manual`), and resolves with the report
   * after the exit policy ran (with `exit: true` the process exits first). A second call
   * returns the same promise.
   */
  shutdown(): Promise<ShutdownReport> {
    return this.#begin({ reason: 'manual' });
  }

  /**
   * Removes every process listener this coordinator added and frees the process for another
   * coordinator. A shutdown already running goes on (a later signal no longer forces it).
   * Called by the coordinator itself when the shutdown is done. Idempotent.
   */
  dispose(): void {
    for (const undo of this.#subscriptions.splice(0).reverse()) undo();
    if (active.get(this.config.process) === this) active.delete(this.config.process);
  }

  #addHook(kind: 'hook' | 'task', phase: Phase, hook: HookConfig): () => void {
    const step: FnStep = { kind, name: hook.name ?? `${kind} ${++this.#counter}`, phase, order: hook.order, hook };
    this.#steps.push(step);
    return () => this.#remove(step);
  }

  #remove(step: Step): void {
    if (this.#state !== 'idle') return;
    const index = this.#steps.indexOf(step);
    if (index >= 0) this.#steps.splice(index, 1);
  }

  #listen(): void {
    const { process, signals, shutdownOnUncaught } = this.config;
    const on = (event: string, listener: (value: unknown) => void): void => {
      process.on(event, listener);
      this.#subscriptions.push(() => process.removeListener(event, listener));
    };
    for (const signal of signals) {
      const listener = (): void => this.#onSignal(signal);
      this.#ownListeners.add(listener);
      on(signal, listener);
    }
    if (shutdownOnUncaught) {
      on('uncaughtException', (error) => this.#onUncaught('uncaughtException', error));
      on('unhandledRejection', (error) => this.#onUncaught('unhandledRejection', error));
    }
  }

  #onSignal(signal: NodeJS.Signals): void {
    if (this.#state === 'idle') {
      // Listeners added after createCoordinator (NestJS' enableShutdownHooks runs late) run now too.
      const { process, logger } = this.config;
      warnForeignListeners(process, [signal], this.#ownListeners, this.#warnedListeners, logger, 'signal');
      void this.#begin({ reason: 'signal', signal });
    } else if (this.#state === 'shutting-down' && this.#runner.forcedBy === undefined) {
      this.#force('signal', signal);
    } else if (this.#state === 'shutting-down') {
      // A third signal while forcing: whoever sends it wants out now, before the bounded waits.
      this.config.logger.warn({ event: 'exit-now', signal }, `${signal} again while forcing: exiting now`);
      if (this.config.exit) this.config.process.exit(this.config.forceExitCode);
    }
  }

  #onUncaught(reason: 'uncaughtException' | 'unhandledRejection', error: unknown): void {
    const text = error instanceof Error ? (error.stack ?? error.message) : describeValue(error);
    this.config.logger.error({ event: reason, err: error }, `${reason}: ${text}`);
    if (this.#state === 'idle') void this.#begin({ reason, error });
  }

  #begin(trigger: Trigger): Promise<ShutdownReport> {
    if (this.#result) return this.#result;
    this.#state = 'shutting-down';
    this.#result = this.#run(trigger);
    // A bug of ours must not leave the process half shut down: log it and apply the exit policy.
    this.#result.catch((error: unknown) => {
      this.config.logger.error({ event: 'bug', err: error }, `lastcall: the shutdown failed: ${describeValue(error)}`);
      if (this.config.exit) this.config.process.exit(this.config.failureExitCode);
    });
    return this.#result;
  }

  #force(by: ForcedBy, signal?: NodeJS.Signals): void {
    if (this.#runner.forcedBy !== undefined || this.#state !== 'shutting-down') return;
    const { logger, deadline } = this.config;
    logger.warn(
      { event: 'force', by, signal },
      by === 'signal'
        ? `second ${signal}: forcing now, remaining hooks skipped`
        : `deadline of ${deadline} ms reached: forcing now, remaining hooks skipped`,
    );
    this.#runner.force(by);
  }

  async #run(trigger: Trigger): Promise<ShutdownReport> {
    const { clock, logger, deadline, development } = this.config;
    const started = clock.now();
    // Ref'd on purpose: every lastcall timer is unref'd, so a hook awaiting a promise nothing
    // will settle would let the event loop empty and Node exit 0 in the middle of the shutdown.
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    const deadlineTimer = Number.isFinite(deadline)
      ? clock.setTimeout(() => this.#force('deadline'), deadline)
      : undefined;
    const names = new Map<Terminator, string>();
    for (const step of this.#steps) if (step.kind === 'terminator') names.set(step.terminator, step.name);
    const unwatch = watchTerminators(names, logger);
    logger.info(
      { event: 'start', reason: trigger.reason, signal: trigger.signal, deadline, development },
      `shutdown started by ${trigger.signal ?? trigger.reason}: ${this.#describePlan()}; deadline ${deadline} ms${development ? '; development mode: no grace' : ''}`,
    );

    publishShutdownStart(trigger.reason, trigger.signal, deadline);
    const context = { reason: trigger.reason, signal: trigger.signal, error: trigger.error };
    const phases: PhaseReport[] = [];
    try {
      for (const phase of PHASES) phases.push(await this.#runner.runPhase(phase, this.#steps, context, started));
    } finally {
      if (deadlineTimer !== undefined) clock.clearTimeout(deadlineTimer);
      unwatch();
    }

    const forcedBy = this.#runner.forcedBy;
    const facts = { reason: trigger.reason, forcedBy, phases, finallyFailed: false };
    let report: ShutdownReport = {
      reason: trigger.reason,
      ...(trigger.signal === undefined ? {} : { signal: trigger.signal }),
      ...(trigger.error === undefined ? {} : { error: trigger.error }),
      duration: clock.now() - started,
      deadline,
      ...(forcedBy === undefined ? {} : { forcedBy }),
      development,
      phases,
      exitCode: chooseExitCode(facts, this.config),
    };
    report = runFinally(report, facts, this.config);

    const { exit, process } = this.config;
    const ending = forcedBy
      ? `shutdown forced by ${forcedBy === 'signal' ? 'a second signal' : 'the deadline'}`
      : 'shutdown complete';
    const level = report.exitCode === 0 ? 'info' : 'warn';
    const steps = summarizeSteps(report.phases);
    // One line: the whole report would be dozens of lines on every deploy. It goes to `debug`
    // (printed by consoleLogger({ level: 'debug' }), by pino at level debug).
    logger[level](
      { event: 'end', exitCode: report.exitCode, duration: report.duration, forcedBy, steps: steps.counts },
      `${ending} in ${Math.round(report.duration)} ms: exit code ${report.exitCode}${exit ? '' : ' (no exit: set as process.exitCode)'}; ${steps.text}`,
    );
    logger.debug?.({ event: 'report', report }, 'shutdown report');
    publishShutdownEnd(report);
    this.#state = 'done';
    this.dispose();
    if (exit) {
      await flushLogger(logger, clock);
      clearInterval(keepAlive);
      process.exit(report.exitCode);
    } else {
      clearInterval(keepAlive);
      if (report.exitCode !== 0) process.exitCode = report.exitCode;
    }
    return report;
  }

  #describePlan(): string {
    return PHASES.map((phase) => {
      const count = this.#steps.filter((step) => step.phase === phase).length;
      return `${phase} ${count} step${count === 1 ? '' : 's'}`;
    }).join(', ');
  }
}
