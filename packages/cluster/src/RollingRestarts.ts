// Rolling restarts of the primary's workers: a batch of `maxUnavailable` slots at a time, the
// replacement ready before the old worker is stopped, and a request made while one runs coalesced.

import { publish } from './diagnostics.js';
import { PrimaryStoppingError } from './errors.js';
import type { PrimaryConfig } from './options.js';
import type { RestartReport, SlotRestartReport, WorkerRef } from './report.js';
import { ms, type Slot, type Tracked, type Workers, who } from './Workers.js';

/** The restarts of one primary: at most one runs, at most one waits behind it. */
export class RollingRestarts {
  #count = 0;
  #running: Promise<RestartReport> | undefined;
  #queued: Promise<RestartReport> | undefined;

  constructor(
    private readonly config: PrimaryConfig,
    private readonly workers: Workers,
    /** The primary's state: a restart starts only while it is `running` and stops its batches once it is not. */
    private readonly state: () => 'idle' | 'running' | 'stopping' | 'stopped',
  ) {}

  /** Settles when the restart in flight (if any) has ended, whatever its outcome. */
  async settled(): Promise<void> {
    await this.#running?.catch(() => undefined);
  }

  /**
   * Starts a restart, or joins the one queued behind the running one.
   * @throws PrimaryStoppingError (rejects) once the primary is shutting down.
   */
  request(signal: NodeJS.Signals | undefined): Promise<RestartReport> {
    const state = this.state();
    if (state === 'stopping' || state === 'stopped') return Promise.reject(new PrimaryStoppingError());
    if (this.#running === undefined) return this.#launch(signal);
    if (this.#queued === undefined) {
      this.config.logger.info(
        { event: 'restart-coalesced', signal },
        `restart requested${signal ? ` by ${signal}` : ''} while restart ${this.#count} runs: it will run once that one ends`,
      );
      const after = (): Promise<RestartReport> => {
        this.#queued = undefined;
        if (this.state() !== 'running') return Promise.reject(new PrimaryStoppingError());
        return this.#launch(signal);
      };
      this.#queued = this.#running.then(after, after);
    }
    return this.#queued;
  }

  #launch(signal: NodeJS.Signals | undefined): Promise<RestartReport> {
    const running = this.#run(++this.#count, signal);
    this.#running = running;
    const clear = (): void => {
      if (this.#running === running) this.#running = undefined;
    };
    running.then(clear, clear);
    return running;
  }

  async #run(id: number, signal: NodeJS.Signals | undefined): Promise<RestartReport> {
    const { logger, maxUnavailable } = this.config;
    const { slots: all } = this.workers;
    const started = performance.now();
    const before = all.map((slot) => slot.current?.ref).filter((ref): ref is WorkerRef => ref !== undefined);
    publish('restartStart', () => ({ id, signal, workers: before }));
    logger.info(
      { event: 'restart-start', id, signal, workers: before },
      `restart ${id} started${signal ? ` by ${signal}` : ''}: ${all.length} worker${all.length === 1 ? '' : 's'}, ${maxUnavailable} at a time`,
    );
    const slots: SlotRestartReport[] = [];
    let outcome: RestartReport['outcome'] = 'ok';
    for (let index = 0; index < all.length && outcome === 'ok'; index += maxUnavailable) {
      if (this.state() !== 'running') {
        outcome = 'aborted';
        break;
      }
      const batch = all.slice(index, index + maxUnavailable);
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
      `restart ${id} ${outcome === 'ok' ? 'done' : outcome} in ${ms(report.duration)}: ${replaced} of ${all.length} replaced, ${report.forced} forced${outcome === 'failed' ? '; the remaining workers keep serving' : ''}`,
    );
    publish('restartEnd', () => ({ report }));
    return report;
  }

  async #replaceSlot(slot: Slot): Promise<SlotRestartReport> {
    const { logger, readyTimeout } = this.config;
    const { workers } = this;
    const old = slot.current;
    const fresh = workers.fork(slot);
    slot.replacement = fresh;
    const result = await waitReady(fresh, readyTimeout);
    slot.replacement = undefined;
    const readyTime = fresh.readyAt === undefined ? undefined : fresh.readyAt - fresh.forkedAt;
    const base = { slot: slot.index, old: old?.ref, replacement: fresh.ref, readyTime };
    if (result === 'ready' && this.state() === 'running') {
      slot.current = fresh;
      workers.clearTimer(slot);
      const oldStop = old !== undefined && old.exit === undefined ? await workers.stop(old) : undefined;
      if (oldStop !== undefined) {
        logger[oldStop.forced ? 'warn' : 'info'](
          { event: 'replaced', slot: slot.index, old: old?.ref, replacement: fresh.ref, readyTime, oldStop },
          `slot ${slot.index}: ${who(fresh.ref)} ready in ${ms(readyTime ?? 0)}; ${who(oldStop.worker)} ${oldStop.forced ? `killed at its deadline after ${ms(oldStop.drain)}` : `drained and exited ${oldStop.exitCode ?? oldStop.signal} in ${ms(oldStop.drain)}`}`,
        );
      }
      return { ...base, outcome: 'replaced', oldStop, replacementStop: undefined };
    }
    if (result !== 'ready' && this.state() === 'running') {
      logger.warn(
        { event: 'replacement-failed', slot: slot.index, replacement: fresh.ref, reason: result },
        `slot ${slot.index}: ${who(fresh.ref)} ${result === 'exited' ? `exited (${fresh.exit?.code ?? fresh.exit?.signal}) before it was ready` : `sent no ready within ${ms(readyTimeout)}`}; ${old ? `${who(old.ref)} keeps serving` : 'the slot is re-forked after its back-off'}`,
      );
    }
    // Stopped through its coordinator like any worker: if it was listening, it drains what it took.
    const replacementStop = await workers.stop(fresh);
    if (slot.current === undefined && this.state() === 'running') workers.scheduleFork(slot);
    const outcome = this.state() !== 'running' ? 'aborted' : result === 'exited' ? 'exited' : 'not-ready';
    return { ...base, outcome, oldStop: undefined, replacementStop };
  }
}

function waitReady(tracked: Tracked, timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'> {
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
