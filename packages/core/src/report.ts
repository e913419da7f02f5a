// The TerminationReport: counts taken when terminate() starts and at the force, and the
// registry's running totals before and after, turned into what happened.
import type { RegistryCounters } from './registry/counters.js';
import type { TrackedConnection } from './registry/TrackedConnection.js';
import type { ConnectionKind, TerminationFailure, TerminationReport } from './types.js';

/** HTTP/2 sessions, their open streams and upgraded connections among tracked connections. */
export interface OpenCounts {
  readonly sessions: number;
  readonly streams: number;
  readonly upgraded: number;
}

export const NOTHING_OPEN: OpenCounts = { sessions: 0, streams: 0, upgraded: 0 };

export function countOpen(connections: Iterable<TrackedConnection>): OpenCounts {
  let sessions = 0;
  let streams = 0;
  let upgraded = 0;
  for (const connection of connections) {
    if (connection.session !== undefined && !connection.session.destroyed) sessions++;
    streams += connection.openStreams;
    if (connection.kind === 'upgraded') upgraded++;
  }
  return { sessions, streams, upgraded };
}

export function countKinds(connections: Iterable<TrackedConnection>): Record<ConnectionKind, number> {
  const kinds: Record<ConnectionKind, number> = { http1: 0, tls: 0, http2: 0, upgraded: 0 };
  for (const connection of connections) kinds[connection.kind]++;
  return kinds;
}

/** `countKinds` and `countOpen` in one walk (terminate() takes both before it drains). */
export function countAtStart(connections: Iterable<TrackedConnection>): {
  kinds: Record<ConnectionKind, number>;
  open: OpenCounts;
} {
  const kinds: Record<ConnectionKind, number> = { http1: 0, tls: 0, http2: 0, upgraded: 0 };
  let sessions = 0;
  let streams = 0;
  for (const connection of connections) {
    const kind = connection.kind;
    kinds[kind]++;
    // A plain HTTP/1 connection has no session or stream to count.
    if (kind === 'http1') continue;
    const session = connection.session;
    if (session !== undefined && !session.destroyed) sessions++;
    streams += connection.openStreams;
  }
  return { kinds, open: { sessions, streams, upgraded: kinds.upgraded } };
}

/** What the terminator observed; `buildReport` derives the rest. */
export interface Observed {
  readonly duration: number;
  readonly gracefulTimeout: number;
  readonly timedOut: boolean;
  /** The servers' own count of open connections at the start and at the force (0 if none). */
  readonly openAtStart: number;
  readonly openAtForce: number;
  readonly inFlightAtStart: number;
  readonly kindsAtStart: Record<ConnectionKind, number>;
  readonly trackedAtStart: OpenCounts;
  readonly trackedAtForce: OpenCounts;
  readonly before: RegistryCounters;
  readonly after: RegistryCounters;
  readonly failures: readonly TerminationFailure[];
  readonly runtimeLimits: readonly string[];
}

/** Everything is closed when the report is built: what was not forced ended gracefully. */
const graceful = (atStart: number, during: number, forced: number): number => Math.max(0, atStart + during - forced);

export function buildReport(o: Observed): TerminationReport {
  const { before, after } = o;
  const acceptedDuringDrain = after.accepted - before.accepted;
  const sessionsDuringDrain = after.sessions - before.sessions;
  const upgradedDuringDrain = after.upgraded - before.upgraded;
  return {
    duration: o.duration,
    gracefulTimeout: o.gracefulTimeout,
    timedOut: o.timedOut,
    connections: {
      atStart: o.openAtStart,
      acceptedDuringDrain,
      closedGracefully: graceful(o.openAtStart, acceptedDuringDrain, o.openAtForce),
      forced: o.openAtForce,
    },
    requests: {
      inFlightAtStart: o.inFlightAtStart,
      receivedDuringDrain: after.requests - before.requests,
      completed: after.completed - before.completed,
      aborted: after.aborted - before.aborted,
    },
    sessions: {
      atStart: o.trackedAtStart.sessions,
      openedDuringDrain: sessionsDuringDrain,
      closedGracefully: graceful(o.trackedAtStart.sessions, sessionsDuringDrain, o.trackedAtForce.sessions),
      forced: o.trackedAtForce.sessions,
    },
    streams: {
      inFlightAtStart: o.trackedAtStart.streams,
      receivedDuringDrain: after.streams - before.streams,
      completed: after.streamsCompleted - before.streamsCompleted,
      aborted: after.streamsAborted - before.streamsAborted,
    },
    upgraded: {
      atStart: o.trackedAtStart.upgraded,
      upgradedDuringDrain,
      closedGracefully: graceful(o.trackedAtStart.upgraded, upgradedDuringDrain, o.trackedAtForce.upgraded),
      forced: o.trackedAtForce.upgraded,
    },
    kindsAtStart: o.kindsAtStart,
    failures: [...o.failures],
    runtimeLimits: [...o.runtimeLimits],
  };
}
