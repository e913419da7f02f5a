// The cluster primary: forks the workers, keeps them up, replaces them one batch at a time on a
// rolling restart, and shuts them all down through their own lastcall coordinators.

import cluster, { type Worker } from 'node:cluster';
import { describeValue } from '@lastcall/core';
import { publish } from './diagnostics.js';
import { PrimaryStoppingError } from './errors.js';
import { parseWorkerMessage, shutdownMessage } from './messages.js';
import type { PrimaryConfig } from './options.js';
import type { PrimaryShutdownReport, RestartReport, SlotRestartReport, WorkerRef, WorkerStopReport } from './report.js';

/** The environment variable a worker finds its slot in (0 to workers - 1): stable across restarts. */
export const SLOT_ENV = 'LASTCALL_CLUSTER_SLOT';

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One forked worker as the primary tracks it. */
interface Tracked {
  readonly worker: Worker;
  readonly ref: WorkerRef;
  readonly slot: Slot;
  readonly forkedAt: number;
  readyAt: number | undefined;
  readonly ready: Promise<void>;
  markReady: () => void;
  exit: Exit | undefined;
  readonly exited: Promise<Exit>;
  stop: Promise<WorkerStopReport> | undefined;
  /** Set when the primary killed it (deadline, second signal). */
  killed: boolean;
  warnedForeign: boolean;
}

/** A place for one worker: its serving worker, the replacement a restart is starting, the crash back-off. */
interface Slot {
  readonly index: number;
  current: Tracked | undefined;
  replacement: Tracked | undefined;
  /** Delay before the next re-fork after a crash, in milliseconds. */
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The primary of a node:cluster service, made by `createPrimary`. Forks `workers` workers,
 * re-forks a crashed one after a back-off, runs rolling restarts (restart signal or
 * `restart()`), coalescing a request made while one runs, and on a shutdown signal (or
 * `shutdown()`) asks every worker to leave through its own coordinator, kills those that
 * outlive `workerDeadline`, and exits with a code saying whether anything was forced.
 */
export interface ClusterPrimary {
  /** `idle` until `start()`, `running` with workers up, `stopping` once a shutdown began, `stopped` at its end. */
  readonly state: 'idle' | 'running' | 'stopping' | 'stopped';
  /** The workers alive now (serving, starting or stopping), for a status line or a test. */
  readonly workers: readonly WorkerRef[];
  /**
   * Listens to the signals and forks every worker. Resolves once each slot has a worker that
   * sent ready (a slot whose worker keeps crashing keeps it waiting: the log says why), or
   * once a shutdown began. A second call returns the first call's promise.
   */
  start(): Promise<void>;
  /**
   * Replaces every worker, `maxUnavailable` at a time: fork the replacement, wait for its ready
   * message, then shut the old worker down. Called while a restart runs, it is coalesced: every
   * such call shares one restart that starts when the running one ends, never more.
   * @throws PrimaryStoppingError (rejects) once the primary is shutting down.
   */
  restart(): Promise<RestartReport>;
  /**
   * Shuts every worker down through its coordinator, as a shutdown signal would, then applies the
   * exit policy. A second call returns the same promise.
   */
  shutdown(): Promise<PrimaryShutdownReport>;
}

type PrimaryState = ClusterPrimary['state'];

const ms = (value: number): string => `${Math.round(value)} ms`;
const who = (ref: WorkerRef): string => `worker ${ref.id} (pid ${ref.pid})`;

/** The primary `createPrimary` makes (the class stays private: the interface is the API). */
export class Primary implements ClusterPrimary {
  #state: PrimaryState = 'idle';
  readonly #slots: Slot[];
  readonly #live = new Set<Tracked>();
  #subscriptions: Array<() => void> = [];
  #restartCount = 0;
  #running: Promise<RestartReport> | undefined;
  #queued: Promise<RestartReport> | undefined;
  #shutdown: Promise<PrimaryShutdownReport> | undefined;
  #forcedBySignal = false;
  #allReady: (() => void) | undefined;

  constructor(
    /** The validated options the primary runs with, every default applied. */
    readonly config: PrimaryConfig,
  ) {
    this.#slots = Array.from({ length: config.workers }, (_, index) => ({
      index,
      current: undefined,
      replacement: undefined,
      backoffMs: config.crashBackoff,
      timer: undefined,
    }));
  }

  /** Where the primary is: `idle`, `running`, `stopping` or `stopped`. */
  get state(): PrimaryState {
    return this.#state;
  }

  /** The workers alive now (serving, starting or stopping), for a status line or a test. */
  get workers(): readonly WorkerRef[] {
    return [...this.#live].map((tracked) => tracked.ref);
  }

  /**
   * Listens to the signals and forks every worker. Resolves once each slot has a worker that
   * sent ready (a slot whose worker keeps crashing keeps it waiting: the log says why), or
   * once a shutdown began. A second call returns the first call's promise.
   */
  start(): Promise<void> {
    if (this.#state !== 'idle') return Promise.resolve();
    this.#state = 'running';
    this.#listen();
    const allReady = new Promise<void>((resolve) => {
      this.#allReady = resolve;
    });
    const { logger, workers, restartSignal } = this.config;
    logger.info(
      { event: 'start', workers, restartSignal },
      `primary pid ${process.pid}: forking ${workers} worker${workers === 1 ? '' : 's'}${restartSignal ? `; ${restartSignal} restarts them` : ''}`,
    );
    for (const slot of this.#slots) slot.current = this.#fork(slot);
    return allReady;
  }

  /**
   * Replaces every worker, `maxUnavailable` at a time: fork the replacement, wait for its ready
   * message, then shut the old worker down. Called while a restart runs, it is coalesced: every
   * such call shares one restart that starts when the running one ends, never more.
   * @throws PrimaryStoppingError (rejects) once the primary is shutting down.
   */
  restart(): Promise<RestartReport> {
    return this.#requestRestart(undefined);
  }

  /**
   * Shuts every worker down through its coordinator, as a shutdown signal would, then applies the
   * exit policy. A second call returns the same promise.
   */
  shutdown(): Promise<PrimaryShutdownReport> {
    return this.#beginShutdown(undefined);
  }

  #requestRestart(signal: NodeJS.Signals | undefined): Promise<RestartReport> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return Promise.reject(new PrimaryStoppingError());
    if (this.#running === undefined) return this.#launch(signal);
    if (this.#queued === undefined) {
      this.config.logger.info(
        { event: 'restart-coalesced', signal },
        `restart requested${signal ? ` by ${signal}` : ''} while restart ${this.#restartCount} runs: it will run once that one ends`,
      );
      const after = (): Promise<RestartReport> => {
        this.#queued = undefined;
        if (this.#state !== 'running') return Promise.reject(new PrimaryStoppingError());
        return this.#launch(signal);
      };
      this.#queued = this.#running.then(after, after);
    }
    return this.#queued;
  }

  #launch(signal: NodeJS.Signals | undefined): Promise<RestartReport> {
    const running = this.#runRestart(++this.#restartCount, signal);
    this.#running = running;
    const clear = (): void => {
      if (this.#running === running) this.#running = undefined;
    };
    running.then(clear, clear);
    return running;
  }

  async #runRestart(id: number, signal: NodeJS.Signals | undefined): Promise<RestartReport> {
    const { logger, maxUnavailable } = this.config;
    const started = performance.now();
    const before = this.#slots.map((slot) => slot.current?.ref).filter((ref): ref is WorkerRef => ref !== undefined);
    publish('restartStart', () => ({ id, signal, workers: before }));
    logger.info(
      { event: 'restart-start', id, signal, workers: before },
      `restart ${id} started${signal ? ` by ${signal}` : ''}: ${this.#slots.length} worker${this.#slots.length === 1 ? '' : 's'}, ${maxUnavailable} at a time`,
    );
    const slots: SlotRestartReport[] = [];
    let outcome: RestartReport['outcome'] = 'ok';
    for (let index = 0; index < this.#slots.length && outcome === 'ok'; index += maxUnavailable) {
      if (this.#state !== 'running') {
        outcome = 'aborted';
        break;
      }
      const batch = this.#slots.slice(index, index + maxUnavailable);
      const results = await Promise.all(batch.map((slot) => this.#replaceSlot(slot)));
      slots.push(...results);
      if (results.some((result) => result.outcome === 'aborted')) outcome = 'aborted';
      else if (results.some((result) => result.outcome !== 'replaced')) outcome = 'failed';
    }
    const report: RestartReport = {
      id,
      signal,
      outcome,
      duration: performance.now() - started,
      slots,
      forced: slots.filter((slot) => slot.oldStop?.forced === true).length,
    };
    const replaced = slots.filter((slot) => slot.outcome === 'replaced').length;
    const level = outcome === 'ok' && report.forced === 0 ? 'info' : 'warn';
    logger[level](
      { event: 'restart-end', report },
      `restart ${id} ${outcome === 'ok' ? 'done' : outcome} in ${ms(report.duration)}: ${replaced} of ${this.#slots.length} replaced, ${report.forced} forced${outcome === 'failed' ? '; the remaining workers keep serving' : ''}`,
    );
    publish('restartEnd', () => ({ report }));
    return report;
  }

  async #replaceSlot(slot: Slot): Promise<SlotRestartReport> {
    const { logger, readyTimeout } = this.config;
    const old = slot.current;
    const fresh = this.#fork(slot);
    slot.replacement = fresh;
    const result = await this.#waitReady(fresh, readyTimeout);
    slot.replacement = undefined;
    const readyTime = fresh.readyAt === undefined ? undefined : fresh.readyAt - fresh.forkedAt;
    const base = { slot: slot.index, old: old?.ref, replacement: fresh.ref, readyTime };
    if (result === 'ready' && this.#state === 'running') {
      slot.current = fresh;
      this.#clearTimer(slot);
      const oldStop = old !== undefined && old.exit === undefined ? await this.#stop(old) : undefined;
      if (oldStop !== undefined) {
        logger[oldStop.forced ? 'warn' : 'info'](
          { event: 'replaced', slot: slot.index, old: old?.ref, replacement: fresh.ref, readyTime, oldStop },
          `slot ${slot.index}: ${who(fresh.ref)} ready in ${ms(readyTime ?? 0)}; ${who(oldStop.worker)} ${oldStop.forced ? `killed at its deadline after ${ms(oldStop.drain)}` : `drained and exited ${oldStop.exitCode ?? oldStop.signal} in ${ms(oldStop.drain)}`}`,
        );
      }
      return { ...base, outcome: 'replaced', oldStop, replacementStop: undefined };
    }
    if (result !== 'ready' && this.#state === 'running') {
      logger.warn(
        { event: 'replacement-failed', slot: slot.index, replacement: fresh.ref, reason: result },
        `slot ${slot.index}: ${who(fresh.ref)} ${result === 'exited' ? `exited (${fresh.exit?.code ?? fresh.exit?.signal}) before it was ready` : `sent no ready within ${ms(readyTimeout)}`}; ${old ? `${who(old.ref)} keeps serving` : 'the slot is re-forked after its back-off'}`,
      );
    }
    // Stopped through its coordinator like any worker: if it was listening, it drains what it took.
    const replacementStop = await this.#stop(fresh);
    if (slot.current === undefined && this.#state === 'running') this.#scheduleFork(slot);
    const outcome = this.#state !== 'running' ? 'aborted' : result === 'exited' ? 'exited' : 'not-ready';
    return { ...base, outcome, oldStop: undefined, replacementStop };
  }

  #waitReady(tracked: Tracked, timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    return Promise.race([
      tracked.ready.then(() => 'ready' as const),
      tracked.exited.then(() => 'exited' as const),
      timeout,
    ]).finally(() => clearTimeout(timer));
  }

  #fork(slot: Slot): Tracked {
    const worker = cluster.fork({ ...this.config.env, [SLOT_ENV]: String(slot.index) });
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    let onExit: (exit: Exit) => void = () => undefined;
    const exited = new Promise<Exit>((resolve) => {
      onExit = resolve;
    });
    const tracked: Tracked = {
      worker,
      ref: { id: worker.id, pid: worker.process.pid },
      slot,
      forkedAt: performance.now(),
      readyAt: undefined,
      ready,
      markReady,
      exit: undefined,
      exited,
      stop: undefined,
      killed: false,
      warnedForeign: false,
    };
    this.#live.add(tracked);
    worker.on('message', (message: unknown) => this.#onMessage(tracked, message));
    // An IPC error (a send racing the worker's exit) would otherwise be thrown in the primary.
    worker.on('error', (error: Error) =>
      this.config.logger.warn(
        { event: 'worker-error', worker: tracked.ref, err: error },
        `${who(tracked.ref)}: ${error.message}`,
      ),
    );
    worker.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      tracked.exit = { code, signal };
      this.#live.delete(tracked);
      onExit(tracked.exit);
      this.#onExit(tracked);
    });
    this.config.logger.info(
      { event: 'fork', worker: tracked.ref, slot: slot.index },
      `slot ${slot.index}: forked ${who(tracked.ref)}`,
    );
    return tracked;
  }

  #onMessage(tracked: Tracked, message: unknown): void {
    const { logger } = this.config;
    const parsed = parseWorkerMessage(message);
    if (parsed.kind === 'foreign') {
      // The application's own message: not ours to act on or to pass to another worker. Said once per worker.
      if (!tracked.warnedForeign) {
        tracked.warnedForeign = true;
        logger.warn(
          { event: 'message-ignored', worker: tracked.ref },
          `${who(tracked.ref)} sent a message that is not lastcall's (${describeValue(message)}): ignored (further ones are not logged)`,
        );
      }
      return;
    }
    if (parsed.kind === 'invalid') {
      logger.warn(
        { event: 'message-invalid', worker: tracked.ref, why: parsed.why },
        `${who(tracked.ref)} sent a malformed lastcall message (${parsed.why}): ignored`,
      );
      return;
    }
    if (tracked.readyAt !== undefined || tracked.stop !== undefined) return;
    tracked.readyAt = performance.now();
    tracked.markReady();
    tracked.slot.backoffMs = this.config.crashBackoff;
    logger.info(
      { event: 'ready', worker: tracked.ref, slot: tracked.slot.index, readyTime: tracked.readyAt - tracked.forkedAt },
      `slot ${tracked.slot.index}: ${who(tracked.ref)} ready in ${ms(tracked.readyAt - tracked.forkedAt)}`,
    );
    if (this.#allReady !== undefined && this.#slots.every((slot) => slot.current?.readyAt !== undefined)) {
      this.#allReady();
      this.#allReady = undefined;
    }
  }

  #onExit(tracked: Tracked): void {
    if (tracked.stop !== undefined || this.#state !== 'running') return;
    const { slot } = tracked;
    // A replacement that exits during startup: its restart reports it and keeps the old worker.
    if (slot.current !== tracked) return;
    slot.current = undefined;
    const refork = slot.replacement === undefined ? this.#scheduleFork(slot) : undefined;
    const { code, signal } = tracked.exit ?? { code: null, signal: null };
    this.config.logger.warn(
      { event: 'crash', worker: tracked.ref, slot: slot.index, exitCode: code, signal, refork },
      `slot ${slot.index}: ${who(tracked.ref)} exited unasked (${code ?? signal})${tracked.readyAt === undefined ? ' before it was ready' : ''}; ${refork === undefined ? 'the restart in progress fills the slot' : `re-forking in ${ms(refork)}`}`,
    );
    publish('workerCrash', () => ({ worker: tracked.ref, slot: slot.index, exitCode: code, signal, refork }));
  }

  /** Re-forks the slot after its back-off, doubling the next one: a crash loop slows down instead of spinning. */
  #scheduleFork(slot: Slot): number {
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(delay * 2, this.config.maxCrashBackoff);
    this.#clearTimer(slot);
    // Ref'd on purpose: with every worker crashed, this timer is what keeps the primary alive.
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (this.#state === 'running' && slot.current === undefined && slot.replacement === undefined) {
        slot.current = this.#fork(slot);
      }
    }, delay);
    return delay;
  }

  #clearTimer(slot: Slot): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
  }

  /** Asks the worker to shut down through its coordinator; kills it at `workerDeadline`. Once per worker. */
  #stop(tracked: Tracked): Promise<WorkerStopReport> {
    tracked.stop ??= this.#runStop(tracked);
    return tracked.stop;
  }

  async #runStop(tracked: Tracked): Promise<WorkerStopReport> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    if (tracked.exit === undefined) {
      if (tracked.worker.isConnected()) {
        try {
          tracked.worker.send(shutdownMessage);
        } catch {
          // The channel closed between the check and the send: the deadline below still applies.
        }
      }
      timer = setTimeout(() => this.#kill(tracked), this.config.workerDeadline);
    }
    const exit = await tracked.exited;
    clearTimeout(timer);
    return {
      worker: tracked.ref,
      drain: performance.now() - started,
      forced: tracked.killed,
      exitCode: exit.code,
      signal: exit.signal,
    };
  }

  #kill(tracked: Tracked): void {
    if (tracked.exit !== undefined) return;
    tracked.killed = true;
    this.config.logger.warn(
      { event: 'kill', worker: tracked.ref },
      `${who(tracked.ref)} still running ${ms(performance.now() - tracked.forkedAt)} after its fork and past its deadline: SIGKILL`,
    );
    tracked.worker.process.kill('SIGKILL');
  }

  #listen(): void {
    const on = (signal: NodeJS.Signals, listener: () => void): void => {
      process.on(signal, listener);
      this.#subscriptions.push(() => process.removeListener(signal, listener));
    };
    const { restartSignal, shutdownSignals } = this.config;
    if (restartSignal !== false) {
      on(restartSignal, () => {
        // A signal has no caller to reject to: a refused restart is logged instead.
        this.#requestRestart(restartSignal).catch((error: unknown) =>
          this.config.logger.warn(
            { event: 'restart-refused', signal: restartSignal },
            `${restartSignal}: ${describeValue(error)}`,
          ),
        );
      });
    }
    for (const signal of shutdownSignals) on(signal, () => this.#onShutdownSignal(signal));
  }

  #onShutdownSignal(signal: NodeJS.Signals): void {
    if (this.#shutdown === undefined) {
      void this.#beginShutdown(signal);
      return;
    }
    if (this.#forcedBySignal) return;
    // A second signal: whoever sends it will not wait for the drains.
    this.#forcedBySignal = true;
    this.config.logger.warn({ event: 'force', signal }, `second ${signal}: killing every worker now`);
    for (const tracked of this.#live) this.#kill(tracked);
  }

  #beginShutdown(signal: NodeJS.Signals | undefined): Promise<PrimaryShutdownReport> {
    this.#shutdown ??= this.#runShutdown(signal);
    return this.#shutdown;
  }

  async #runShutdown(signal: NodeJS.Signals | undefined): Promise<PrimaryShutdownReport> {
    const { logger, exit, failureExitCode } = this.config;
    const started = performance.now();
    this.#state = 'stopping';
    for (const slot of this.#slots) this.#clearTimer(slot);
    this.#allReady?.();
    const live = [...this.#live];
    logger.info(
      { event: 'shutdown-start', signal, workers: live.map((tracked) => tracked.ref) },
      `shutdown started by ${signal ?? 'shutdown()'}: asking ${live.length} worker${live.length === 1 ? '' : 's'} to drain and exit`,
    );
    const workers = await Promise.all(live.map((tracked) => this.#stop(tracked)));
    // A restart in flight sees the state and ends as aborted; its report is logged before ours.
    await this.#running?.catch(() => undefined);
    const forced =
      this.#forcedBySignal || workers.some((stop) => stop.forced || stop.exitCode !== 0 || stop.signal !== null);
    const report: PrimaryShutdownReport = {
      signal,
      duration: performance.now() - started,
      workers,
      forced,
      exitCode: forced ? failureExitCode : 0,
    };
    logger[forced ? 'warn' : 'info'](
      { event: 'shutdown-end', report },
      `shutdown ${forced ? 'forced' : 'complete'} in ${ms(report.duration)}: ${workers.filter((stop) => !stop.forced).length} of ${workers.length} workers exited by themselves; exit code ${report.exitCode}`,
    );
    publish('shutdownEnd', () => ({ report }));
    this.#state = 'stopped';
    for (const undo of this.#subscriptions.splice(0).reverse()) undo();
    if (exit) process.exit(report.exitCode);
    else if (report.exitCode !== 0) process.exitCode = report.exitCode;
    return report;
  }
}
