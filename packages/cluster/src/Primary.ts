// The cluster primary: forks the workers (Workers), keeps them up, replaces them one batch at a
// time on a rolling restart (RollingRestarts), and shuts them all down through their own lastcall
// coordinators.

import { describeValue } from '@lastcall/core';
import { publish } from './diagnostics.js';
import type { PrimaryConfig } from './options.js';
import { RollingRestarts } from './RollingRestarts.js';
import type { PrimaryShutdownReport, RestartReport, WorkerRef } from './report.js';
import { ms, Workers } from './Workers.js';

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

/** The primary `createPrimary` makes (the class stays private: the interface is the API). */
export class Primary implements ClusterPrimary {
  #state: PrimaryState = 'idle';
  readonly #workers: Workers;
  readonly #restarts: RollingRestarts;
  #subscriptions: Array<() => void> = [];
  #shutdown: Promise<PrimaryShutdownReport> | undefined;
  #forcedBySignal = false;

  constructor(
    /** The validated options the primary runs with, every default applied. */
    readonly config: PrimaryConfig,
  ) {
    this.#workers = new Workers(config, () => this.#state === 'running');
    this.#restarts = new RollingRestarts(config, this.#workers, () => this.#state);
  }

  /** Where the primary is: `idle`, `running`, `stopping` or `stopped`. */
  get state(): PrimaryState {
    return this.#state;
  }

  /** The workers alive now (serving, starting or stopping), for a status line or a test. */
  get workers(): readonly WorkerRef[] {
    return [...this.#workers.live].map((tracked) => tracked.ref);
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
    const { logger, workers, restartSignal } = this.config;
    logger.info(
      { event: 'start', workers, restartSignal },
      `primary pid ${process.pid}: forking ${workers} worker${workers === 1 ? '' : 's'}${restartSignal ? `; ${restartSignal} restarts them` : ''}`,
    );
    return this.#workers.start();
  }

  /**
   * Replaces every worker, `maxUnavailable` at a time: fork the replacement, wait for its ready
   * message, then shut the old worker down. Called while a restart runs, it is coalesced: every
   * such call shares one restart that starts when the running one ends, never more.
   * @throws PrimaryStoppingError (rejects) once the primary is shutting down.
   */
  restart(): Promise<RestartReport> {
    return this.#restarts.request(undefined);
  }

  /**
   * Shuts every worker down through its coordinator, as a shutdown signal would, then applies the
   * exit policy. A second call returns the same promise.
   */
  shutdown(): Promise<PrimaryShutdownReport> {
    return this.#beginShutdown(undefined);
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
        this.#restarts
          .request(restartSignal)
          .catch((error: unknown) =>
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
    for (const tracked of this.#workers.live) this.#workers.kill(tracked);
  }

  #beginShutdown(signal: NodeJS.Signals | undefined): Promise<PrimaryShutdownReport> {
    this.#shutdown ??= this.#runShutdown(signal);
    return this.#shutdown;
  }

  async #runShutdown(signal: NodeJS.Signals | undefined): Promise<PrimaryShutdownReport> {
    const { logger, exit, failureExitCode } = this.config;
    const started = performance.now();
    this.#state = 'stopping';
    this.#workers.clearTimers();
    this.#workers.releaseStart();
    const live = [...this.#workers.live];
    logger.info(
      { event: 'shutdown-start', signal, workers: live.map((tracked) => tracked.ref) },
      `shutdown started by ${signal ?? 'shutdown()'}: asking ${live.length} worker${live.length === 1 ? '' : 's'} to drain and exit`,
    );
    const workers = await Promise.all(live.map((tracked) => this.#workers.stop(tracked)));
    // A restart in flight sees the state and ends as aborted; its report is logged before ours.
    await this.#restarts.settled();
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
