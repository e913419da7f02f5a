// diagnostics_channel events of terminate(): names, message shapes, and publishing that costs
// nothing (no message is built) while nobody subscribes.
import diagnosticsChannel from 'node:diagnostics_channel';
import type { TerminationReport, Terminator } from './types.js';

/**
 * The channel names the core publishes on. Subscribe with
 * `diagnostics_channel.subscribe(CHANNELS.end, (message) => ...)`; `@lastcall/lifecycle` and
 * any APM can listen without a reference to the terminator.
 */
export const CHANNELS = {
  /** `terminate()` was called (first call only). Message: `TerminateStartMessage`. */
  start: 'lastcall:terminate:start',
  /** The drain has begun and the connections open at the start are counted. Message: `TerminateDrainMessage`. */
  drain: 'lastcall:terminate:drain',
  /** The graceful period ran out; the force strategy is about to run. Message: `TerminateForceMessage`. */
  force: 'lastcall:terminate:force',
  /** `terminate()` is about to resolve. Message: `TerminateEndMessage`. */
  end: 'lastcall:terminate:end',
} as const;

/** One of the `CHANNELS` names (`lastcall:terminate:*`). */
export type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS];

/** Published on `CHANNELS.start` when `terminate()` is first called. */
export interface TerminateStartMessage {
  /** The terminator that is shutting down. */
  readonly terminator: Terminator;
  /** The graceful period that applies, in milliseconds. */
  readonly gracefulTimeout: number;
}

/** Published on `CHANNELS.drain` once the drain has begun. */
export interface TerminateDrainMessage {
  /** The terminator that is shutting down. */
  readonly terminator: Terminator;
  /** Open connections when the drain began (the servers' own count, tracked or not). */
  readonly connections: number;
  /** Requests (HTTP/1 responses, HTTP/2 streams) in flight when the drain began. */
  readonly inFlight: number;
  /** The graceful period that applies, in milliseconds. */
  readonly gracefulTimeout: number;
}

/** Published on `CHANNELS.force` when the graceful period ran out, before the force strategy runs. */
export interface TerminateForceMessage {
  /** The terminator that is shutting down. */
  readonly terminator: Terminator;
  /** Connections still open, about to be forced. */
  readonly connections: number;
  /** Time since `terminate()` was called, in milliseconds. */
  readonly elapsed: number;
}

/** Published on `CHANNELS.end` just before `terminate()` resolves. */
export interface TerminateEndMessage {
  /** The terminator that is shutting down. */
  readonly terminator: Terminator;
  /** The report `terminate()` resolves with. */
  readonly report: TerminationReport;
}

// Held at module level: channel objects are weakly referenced by Node < 22 until subscribed.
const start = diagnosticsChannel.channel(CHANNELS.start);
const drain = diagnosticsChannel.channel(CHANNELS.drain);
const force = diagnosticsChannel.channel(CHANNELS.force);
const end = diagnosticsChannel.channel(CHANNELS.end);

export function publishStart(terminator: Terminator, gracefulTimeout: number): void {
  if (start.hasSubscribers) start.publish({ terminator, gracefulTimeout } satisfies TerminateStartMessage);
}

export function publishDrain(terminator: Terminator, connections: number, inFlight: number, graceMs: number): void {
  if (drain.hasSubscribers) {
    drain.publish({ terminator, connections, inFlight, gracefulTimeout: graceMs } satisfies TerminateDrainMessage);
  }
}

export function publishForce(terminator: Terminator, connections: number, elapsed: number): void {
  if (force.hasSubscribers) force.publish({ terminator, connections, elapsed } satisfies TerminateForceMessage);
}

/** Publishes the end and hands the report back, so it chains onto the terminate promise. */
export function publishEnd(terminator: Terminator, report: TerminationReport): TerminationReport {
  if (end.hasSubscribers) end.publish({ terminator, report } satisfies TerminateEndMessage);
  return report;
}
