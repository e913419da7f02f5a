// diagnostics_channel events of terminate(): names, message shapes, and publishing that costs
// nothing (no message is built) while nobody subscribes.
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ServerLike, TerminationReport, Terminator } from './types.js';

/**
 * The channel names the core publishes on. Subscribe with
 * `diagnostics_channel.subscribe(CHANNELS.end, (message) => ...)`; `@lastcall/lifecycle` and
 * any APM can listen without a reference to the terminator.
 */
export const CHANNELS = {
  /** `terminate()` was called (first call only). Message: `TerminateMessage` with `channel: 'start'`. */
  start: 'lastcall:terminate:start',
  /** The drain has begun and the connections open at the start are counted. Message: `TerminateMessage` with `channel: 'drain'`. */
  drain: 'lastcall:terminate:drain',
  /** A listener delay (`ListenerDelayDrain`, `DelayedCloseDrain`, health's `AcknowledgedDelayDrain`) closed the listener: how long it stayed open, why the delay ended. Message: `TerminateMessage` with `channel: 'delay'`. */
  delay: 'lastcall:terminate:delay',
  /** The graceful period ran out; the force strategy is about to run. Message: `TerminateMessage` with `channel: 'force'`. */
  force: 'lastcall:terminate:force',
  /** `terminate()` is about to resolve. Message: `TerminateMessage` with `channel: 'end'`. */
  end: 'lastcall:terminate:end',
} as const;

/**
 * A message published on one of the `CHANNELS`; `channel` says which (`'start'`, `'drain'`,
 * `'delay'`, `'force'`, `'end'`), and narrows the type:
 *
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.force, (message) => {
 *   const m = message as TerminateMessage;
 *   if (m.channel === 'force') console.log(`forcing ${m.connections} after ${m.elapsed} ms`);
 * });
 * ```
 */
export type TerminateMessage =
  | {
      /** Published on `CHANNELS.start` when `terminate()` is first called. */
      readonly channel: 'start';
      /** The terminator that is shutting down. */
      readonly terminator: Terminator;
      /** The graceful period that applies (milliseconds). */
      readonly gracefulTimeout: number;
    }
  | {
      /** Published on `CHANNELS.drain` once the drain has begun. */
      readonly channel: 'drain';
      /** The terminator that is shutting down. */
      readonly terminator: Terminator;
      /** Open connections when the drain began (the servers' own count, tracked or not). */
      readonly connections: number;
      /** Requests (HTTP/1 responses, HTTP/2 streams) in flight when the drain began. */
      readonly inFlight: number;
      /** The graceful period that applies (milliseconds). */
      readonly gracefulTimeout: number;
    }
  | {
      /**
       * Published on `CHANNELS.delay` when a listener delay closes the listener. It names the
       * servers, not the terminator: a drain does not know its terminator (find the terminator
       * whose `servers` hold them).
       */
      readonly channel: 'delay';
      /** The servers whose listener closed (the terminator's `servers`). */
      readonly servers: readonly ServerLike[];
      /** Why the delay ended (the drain's `outcome`: `delay`, `acknowledged`, `maxDelay`, `deadline`...). */
      readonly outcome: string;
      /** How long the listener stayed open after the drain began (milliseconds). */
      readonly duration: number;
      /** Of that, the wait after the delay's end for the accept queue to be quiet (milliseconds). */
      readonly quietWait: number;
      /** Connections accepted while the listener was kept open. */
      readonly accepted: number;
      /** Whether responses during the delay said `Connection: close`. */
      readonly closeConnections: boolean;
    }
  | {
      /** Published on `CHANNELS.force` when the graceful period ran out, before the force strategy runs. */
      readonly channel: 'force';
      /** The terminator that is shutting down. */
      readonly terminator: Terminator;
      /** Connections still open, about to be forced. */
      readonly connections: number;
      /** Time since `terminate()` was called (milliseconds). */
      readonly elapsed: number;
    }
  | {
      /** Published on `CHANNELS.end` just before `terminate()` resolves. */
      readonly channel: 'end';
      /** The terminator that is shutting down. */
      readonly terminator: Terminator;
      /** The report `terminate()` resolves with. */
      readonly report: TerminationReport;
    };

// Held at module level: channel objects are weakly referenced by Node < 22 until subscribed.
const start = diagnosticsChannel.channel(CHANNELS.start);
const drain = diagnosticsChannel.channel(CHANNELS.drain);
const force = diagnosticsChannel.channel(CHANNELS.force);
const end = diagnosticsChannel.channel(CHANNELS.end);

export function publishStart(terminator: Terminator, gracefulTimeout: number): void {
  if (start.hasSubscribers) start.publish({ channel: 'start', terminator, gracefulTimeout } satisfies TerminateMessage);
}

export function publishDrain(terminator: Terminator, connections: number, inFlight: number, graceMs: number): void {
  if (drain.hasSubscribers) {
    drain.publish({
      channel: 'drain',
      terminator,
      connections,
      inFlight,
      gracefulTimeout: graceMs,
    } satisfies TerminateMessage);
  }
}

export function publishForce(terminator: Terminator, connections: number, elapsed: number): void {
  if (force.hasSubscribers)
    force.publish({ channel: 'force', terminator, connections, elapsed } satisfies TerminateMessage);
}

/** Publishes the end and hands the report back, so it chains onto the terminate promise. */
export function publishEnd(terminator: Terminator, report: TerminationReport): TerminationReport {
  if (end.hasSubscribers) end.publish({ channel: 'end', terminator, report } satisfies TerminateMessage);
  return report;
}
