// diagnostics_channel events of the primary: names, message shapes, publishing only while someone listens.
import diagnosticsChannel from 'node:diagnostics_channel';
import type { PrimaryShutdownReport, RestartReport, WorkerRef } from './report.js';

/** The channel names the primary publishes on, in the `lastcall:` namespace of the core's `CHANNELS`. */
export const CLUSTER_CHANNELS = {
  /** A rolling restart began. Message: `RestartStartMessage`. */
  restartStart: 'lastcall:cluster:restart:start',
  /** A rolling restart ended (ok, failed or aborted). Message: `RestartEndMessage`. */
  restartEnd: 'lastcall:cluster:restart:end',
  /** A worker exited that nobody asked to stop (a crash). Message: `WorkerCrashMessage`. */
  workerCrash: 'lastcall:cluster:worker:crash',
  /** The primary's shutdown is done, just before it exits. Message: `PrimaryShutdownMessage`. */
  shutdownEnd: 'lastcall:cluster:shutdown:end',
} as const;

/** Message of `CLUSTER_CHANNELS.restartStart`: a rolling restart began. */
export interface RestartStartMessage {
  /** The restart's number, counting from 1 in this primary (as `RestartReport.id`). */
  readonly id: number;
  /** The signal that asked for it, or undefined for `restart()`. */
  readonly signal: NodeJS.Signals | undefined;
  /** The slots' serving workers when it began: the ones it is to replace. */
  readonly workers: readonly WorkerRef[];
}

/** Message of `CLUSTER_CHANNELS.restartEnd`: a rolling restart ended (ok, failed or aborted). */
export interface RestartEndMessage {
  /** The restart's report, the one `restart()` resolves with. */
  readonly report: RestartReport;
}

/** Message of `CLUSTER_CHANNELS.workerCrash`: a worker exited that nobody asked to stop. */
export interface WorkerCrashMessage {
  /** The worker that exited. */
  readonly worker: WorkerRef;
  /** Its slot, 0 to `workers - 1` (the worker's `LASTCALL_CLUSTER_SLOT`). */
  readonly slot: number;
  /** Its exit code; null when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended it; null when it exited with a code. */
  readonly signal: NodeJS.Signals | null;
  /** Delay before its slot is forked again, in milliseconds; undefined when a restart fills the slot. */
  readonly refork: number | undefined;
}

/** Message of `CLUSTER_CHANNELS.shutdownEnd`: the primary's shutdown is done, just before it exits. */
export interface PrimaryShutdownMessage {
  /** The shutdown's report, the one `shutdown()` resolves with. */
  readonly report: PrimaryShutdownReport;
}

// Held at module level: channel objects are weakly referenced by Node < 22 until subscribed.
const channels = {
  restartStart: diagnosticsChannel.channel(CLUSTER_CHANNELS.restartStart),
  restartEnd: diagnosticsChannel.channel(CLUSTER_CHANNELS.restartEnd),
  workerCrash: diagnosticsChannel.channel(CLUSTER_CHANNELS.workerCrash),
  shutdownEnd: diagnosticsChannel.channel(CLUSTER_CHANNELS.shutdownEnd),
};

type Messages = {
  restartStart: RestartStartMessage;
  restartEnd: RestartEndMessage;
  workerCrash: WorkerCrashMessage;
  shutdownEnd: PrimaryShutdownMessage;
};

/** Publishes when someone subscribes; `build` runs only then, so an unobserved primary builds nothing. */
export function publish<K extends keyof Messages>(name: K, build: () => Messages[K]): void {
  const channel = channels[name];
  if (channel.hasSubscribers) channel.publish(build());
}
