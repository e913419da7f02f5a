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

export interface RestartStartMessage {
  readonly id: number;
  readonly signal: NodeJS.Signals | undefined;
  readonly workers: readonly WorkerRef[];
}

export interface RestartEndMessage {
  readonly report: RestartReport;
}

export interface WorkerCrashMessage {
  readonly worker: WorkerRef;
  readonly slot: number;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Delay before its slot is forked again, in milliseconds; undefined when a restart fills the slot. */
  readonly refork: number | undefined;
}

export interface PrimaryShutdownMessage {
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
