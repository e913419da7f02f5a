// The primary's workers, one slot each: forked with the slot's number, re-forked after a crash
// with a doubling back-off, asked to stop through their own coordinators and killed at the deadline.

import cluster, { type Worker } from 'node:cluster';
import { describeValue } from '@lastcall/core';
import { publish } from './diagnostics.js';
import { parseWorkerMessage, shutdownMessage } from './messages.js';
import type { PrimaryConfig } from './options.js';
import type { WorkerRef, WorkerStopReport } from './report.js';

/** The environment variable a worker finds its slot in (0 to workers - 1): stable across restarts. */
export const SLOT_ENV = 'LASTCALL_CLUSTER_SLOT';

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One forked worker as the primary tracks it. */
export interface Tracked {
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
export interface Slot {
  readonly index: number;
  current: Tracked | undefined;
  replacement: Tracked | undefined;
  /** Delay before the next re-fork after a crash, in milliseconds. */
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
}

/** A duration as the primary's log lines write it. */
export const ms = (value: number): string => `${Math.round(value)} ms`;
/** A worker as the primary's log lines name it. */
export const who = (ref: WorkerRef): string => `worker ${ref.id} (pid ${ref.pid})`;

/**
 * The slots and the workers alive in them. It acts on its own only while the primary runs
 * (`isRunning`): a crash is re-forked then, and not once a shutdown began.
 */
export class Workers {
  /** One per worker to keep running, in slot order. */
  readonly slots: readonly Slot[];
  /** The workers alive now (serving, starting or stopping). */
  readonly live = new Set<Tracked>();
  #allReady: (() => void) | undefined;

  constructor(
    private readonly config: PrimaryConfig,
    private readonly isRunning: () => boolean,
  ) {
    this.slots = Array.from({ length: config.workers }, (_, index) => ({
      index,
      current: undefined,
      replacement: undefined,
      backoffMs: config.crashBackoff,
      timer: undefined,
    }));
  }

  /** Forks a worker in every slot. Resolves once each slot's worker sent ready, or at `releaseStart()`. */
  start(): Promise<void> {
    const allReady = new Promise<void>((resolve) => {
      this.#allReady = resolve;
    });
    for (const slot of this.slots) slot.current = this.fork(slot);
    return allReady;
  }

  /** Resolves `start()`'s promise now: a shutdown began, so no slot will be waited for. */
  releaseStart(): void {
    this.#allReady?.();
  }

  /** Stops every pending re-fork (the shutdown's first step). */
  clearTimers(): void {
    for (const slot of this.slots) this.clearTimer(slot);
  }

  fork(slot: Slot): Tracked {
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
    this.live.add(tracked);
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
      this.live.delete(tracked);
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
    if (this.#allReady !== undefined && this.slots.every((slot) => slot.current?.readyAt !== undefined)) {
      this.#allReady();
      this.#allReady = undefined;
    }
  }

  #onExit(tracked: Tracked): void {
    if (tracked.stop !== undefined || !this.isRunning()) return;
    const { slot } = tracked;
    // A replacement that exits during startup: its restart reports it and keeps the old worker.
    if (slot.current !== tracked) return;
    slot.current = undefined;
    const refork = slot.replacement === undefined ? this.scheduleFork(slot) : undefined;
    const { code, signal } = tracked.exit ?? { code: null, signal: null };
    this.config.logger.warn(
      { event: 'crash', worker: tracked.ref, slot: slot.index, exitCode: code, signal, refork },
      `slot ${slot.index}: ${who(tracked.ref)} exited unasked (${code ?? signal})${tracked.readyAt === undefined ? ' before it was ready' : ''}; ${refork === undefined ? 'the restart in progress fills the slot' : `re-forking in ${ms(refork)}`}`,
    );
    publish('workerCrash', () => ({ worker: tracked.ref, slot: slot.index, exitCode: code, signal, refork }));
  }

  /** Re-forks the slot after its back-off, doubling the next one: a crash loop slows down instead of spinning. */
  scheduleFork(slot: Slot): number {
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(delay * 2, this.config.maxCrashBackoff);
    this.clearTimer(slot);
    // Ref'd on purpose: with every worker crashed, this timer is what keeps the primary alive.
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (this.isRunning() && slot.current === undefined && slot.replacement === undefined) {
        slot.current = this.fork(slot);
      }
    }, delay);
    return delay;
  }

  clearTimer(slot: Slot): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
  }

  /** Asks the worker to shut down through its coordinator; kills it at `workerDeadline`. Once per worker. */
  stop(tracked: Tracked): Promise<WorkerStopReport> {
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
      timer = setTimeout(() => this.kill(tracked), this.config.workerDeadline);
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

  kill(tracked: Tracked): void {
    if (tracked.exit !== undefined) return;
    tracked.killed = true;
    this.config.logger.warn(
      { event: 'kill', worker: tracked.ref },
      `${who(tracked.ref)} still running ${ms(performance.now() - tracked.forkedAt)} after its fork and past its deadline: SIGKILL`,
    );
    tracked.worker.process.kill('SIGKILL');
  }
}
