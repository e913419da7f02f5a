// What a rolling restart and the primary's shutdown report: one record per worker, times in ms.

/** A worker as the reports name it: cluster's id and the OS pid. */
export interface WorkerRef {
  /** The worker's `node:cluster` id (`worker.id`). */
  readonly id: number;
  /** Its OS process id (`worker.process.pid`); undefined when it has none. */
  readonly pid: number | undefined;
}

/**
 * How one worker left when the primary asked it to: after the shutdown message, within the
 * deadline (`forced: false`), or killed with SIGKILL at the deadline (`forced: true`).
 */
export interface WorkerStopReport {
  /** The worker that was stopped. */
  readonly worker: WorkerRef;
  /** From the shutdown message to the worker's exit, in milliseconds. */
  readonly drain: number;
  /** Killed at `workerDeadline` because it had not exited by itself. */
  readonly forced: boolean;
  /** Its exit code; null when a signal ended it (SIGKILL at the deadline, for one). */
  readonly exitCode: number | null;
  /** The signal that ended it; null when it exited with a code. */
  readonly signal: NodeJS.Signals | null;
}

/** One worker slot of a rolling restart. */
export interface SlotRestartReport {
  /** The slot, 0 to `workers - 1` (its workers' `LASTCALL_CLUSTER_SLOT`). */
  readonly slot: number;
  /**
   * How the slot's replacement went. `replaced`: the replacement became ready and the old worker
   * was stopped. `not-ready`: the replacement did not send ready within `readyTimeout`; it was
   * stopped, the old one kept. `exited`: the replacement exited before it was ready; the old one
   * kept. `aborted`: the primary began shutting down during this slot's replacement.
   */
  readonly outcome: 'replaced' | 'not-ready' | 'exited' | 'aborted';
  /** The worker being replaced; undefined when the slot was empty (its worker had crashed). */
  readonly old: WorkerRef | undefined;
  /** The worker forked to take the slot. */
  readonly replacement: WorkerRef;
  /** From the fork to the replacement's ready message, in milliseconds; undefined when it never came. */
  readonly readyTime: number | undefined;
  /** How the old worker left (outcome `replaced`, when it was still running). */
  readonly oldStop: WorkerStopReport | undefined;
  /** How the replacement left, when it was stopped or exited instead of taking over. */
  readonly replacementStop: WorkerStopReport | undefined;
}

/** A rolling restart: what asked for it, how it ended, and each slot; `restart()` resolves with it. */
export interface RestartReport {
  /** Counts from 1 in this primary. */
  readonly id: number;
  /** The signal that asked for it, or undefined for `restart()`. */
  readonly signal: NodeJS.Signals | undefined;
  /**
   * How it ended. `ok`: every slot replaced. `failed`: a replacement did not become ready; the
   * restart stopped there and the remaining old workers keep serving. `aborted`: the primary
   * began shutting down.
   */
  readonly outcome: 'ok' | 'failed' | 'aborted';
  /** From its start to its end, in milliseconds. */
  readonly duration: number;
  /**
   * One report per slot it reached, in slot order; a failed or aborted batch ends the restart, so later slots are
   * missing.
   */
  readonly slots: readonly SlotRestartReport[];
  /** Old workers killed at their deadline. */
  readonly forced: number;
}

/** The primary's shutdown: every worker asked to leave, how each did, and the exit code chosen. */
export interface PrimaryShutdownReport {
  /** The signal that started the shutdown, or undefined for `shutdown()`. */
  readonly signal: NodeJS.Signals | undefined;
  /** From the start of the shutdown to its end, in milliseconds. */
  readonly duration: number;
  /** How each worker alive at the start of the shutdown left. */
  readonly workers: readonly WorkerStopReport[];
  /** True when a worker was killed at its deadline, exited non-zero or by a signal, or a second signal forced the shutdown. */
  readonly forced: boolean;
  /** The exit code chosen: 0, or `failureExitCode` when `forced`. */
  readonly exitCode: number;
}
