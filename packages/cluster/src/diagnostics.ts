// diagnostics_channel events of the primary: names, message shapes, publishing only while someone listens.
import diagnosticsChannel from 'node:diagnostics_channel';
import type { PrimaryShutdownReport, RestartReport, WorkerRef } from './report.js';

/** The channel names the primary publishes on, in the `lastcall:` namespace of the core's `CHANNELS`. */
export const CLUSTER_CHANNELS = {
  /** A rolling restart began. Message: `ClusterMessage` with `channel: 'restartStart'`. */
  restartStart: 'lastcall:cluster:restart:start',
  /** A rolling restart ended (ok, failed or aborted). Message: `ClusterMessage` with `channel: 'restartEnd'`. */
  restartEnd: 'lastcall:cluster:restart:end',
  /** A worker exited that nobody asked to stop (a crash). Message: `ClusterMessage` with `channel: 'workerCrash'`. */
  workerCrash: 'lastcall:cluster:worker:crash',
  /** The primary's shutdown is done, just before it exits. Message: `ClusterMessage` with `channel: 'shutdownEnd'`. */
  shutdownEnd: 'lastcall:cluster:shutdown:end',
} as const;

/**
 * A message on one of `CLUSTER_CHANNELS`. `channel` says which (its key in `CLUSTER_CHANNELS`):
 * `restartStart` (a rolling restart began: `id`, `signal`, `workers`), `restartEnd` (it ended:
 * `report`), `workerCrash` (a worker exited that nobody asked to stop: `worker`, `slot`,
 * `exitCode`, `signal`, `refork`), `shutdownEnd` (the primary's shutdown is done, just before
 * it exits: `report`).
 */
export type ClusterMessage =
  | {
      /** Which channel published it: `restartStart` (A rolling restart began.) */
      readonly channel: 'restartStart';
      /** The restart's number, counting from 1 in this primary (as `RestartReport.id`). */
      readonly id: number;
      /** The signal that asked for it, or undefined for `restart()`. */
      readonly signal: NodeJS.Signals | undefined;
      /** The slots' serving workers when it began: the ones it is to replace. */
      readonly workers: readonly WorkerRef[];
    }
  | {
      /** Which channel published it: `restartEnd` (A rolling restart ended.) */
      readonly channel: 'restartEnd';
      /** The restart's report, the one `restart()` resolves with. */
      readonly report: RestartReport;
    }
  | {
      /** Which channel published it: `workerCrash` (A worker crashed.) */
      readonly channel: 'workerCrash';
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
  | {
      /** Which channel published it: `shutdownEnd` (The primary's shutdown is done.) */
      readonly channel: 'shutdownEnd';
      /** The shutdown's report, the one `shutdown()` resolves with. */
      readonly report: PrimaryShutdownReport;
    };

// Held at module level: channel objects are weakly referenced by Node < 22 until subscribed.
const channels = {
  restartStart: diagnosticsChannel.channel(CLUSTER_CHANNELS.restartStart),
  restartEnd: diagnosticsChannel.channel(CLUSTER_CHANNELS.restartEnd),
  workerCrash: diagnosticsChannel.channel(CLUSTER_CHANNELS.workerCrash),
  shutdownEnd: diagnosticsChannel.channel(CLUSTER_CHANNELS.shutdownEnd),
};

type Channel = ClusterMessage['channel'];

/** Publishes when someone subscribes; `build` runs only then, so an unobserved primary builds nothing. */
export function publish<K extends Channel>(
  name: K,
  build: () => Omit<Extract<ClusterMessage, { channel: K }>, 'channel'>,
): void {
  const channel = channels[name];
  if (channel.hasSubscribers) channel.publish({ channel: name, ...build() });
}
