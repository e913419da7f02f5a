// What a rolling restart and the primary's shutdown report: one record per worker, times in ms.

/** A worker as the reports name it: cluster's id and the OS pid. */
export interface WorkerRef {
  readonly id: number;
  readonly pid: number | undefined;
}

/**
 * How one worker left when the primary asked it to: after the shutdown message, within the
 * deadline (`forced: false`), or killed with SIGKILL at the deadline (`forced: true`).
 */
export interface WorkerStopReport {
  readonly worker: WorkerRef;
  /** From the shutdown message to the worker's exit, in milliseconds. */
  readonly drainMs: number;
  /** Killed at `workerDeadline` because it had not exited by itself. */
  readonly forced: boolean;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * `replaced`: the replacement became ready and the old worker was stopped.
 * `not-ready`: the replacement did not send ready within `readyTimeout`; it was stopped, the old one kept.
 * `exited`: the replacement exited before it was ready; the old one kept.
 * `aborted`: the primary began shutting down during this slot's replacement.
 */
export type SlotOutcome = 'replaced' | 'not-ready' | 'exited' | 'aborted';

/** One worker slot of a rolling restart. */
export interface SlotRestartReport {
  readonly slot: number;
  readonly outcome: SlotOutcome;
  /** The worker being replaced; undefined when the slot was empty (its worker had crashed). */
  readonly old: WorkerRef | undefined;
  readonly replacement: WorkerRef;
  /** From the fork to the replacement's ready message, in milliseconds; undefined when it never came. */
  readonly readyMs: number | undefined;
  /** How the old worker left (outcome `replaced`, when it was still running). */
  readonly oldStop: WorkerStopReport | undefined;
  /** How the replacement left, when it was stopped or exited instead of taking over. */
  readonly replacementStop: WorkerStopReport | undefined;
}

/**
 * `ok`: every slot replaced. `failed`: a replacement did not become ready; the restart stopped there and
 * the remaining old workers keep serving. `aborted`: the primary began shutting down.
 */
export type RestartOutcome = 'ok' | 'failed' | 'aborted';

export interface RestartReport {
  /** Counts from 1 in this primary. */
  readonly id: number;
  /** The signal that asked for it, or undefined for `restart()`. */
  readonly signal: NodeJS.Signals | undefined;
  readonly outcome: RestartOutcome;
  readonly durationMs: number;
  readonly slots: readonly SlotRestartReport[];
  /** Old workers killed at their deadline. */
  readonly forced: number;
}

/** The primary's shutdown: every worker asked to leave, how each did, and the exit code chosen. */
export interface PrimaryShutdownReport {
  readonly signal: NodeJS.Signals | undefined;
  readonly durationMs: number;
  readonly workers: readonly WorkerStopReport[];
  /** True when a worker was killed at its deadline, exited non-zero or by a signal, or a second signal forced the shutdown. */
  readonly forced: boolean;
  readonly exitCode: number;
}
