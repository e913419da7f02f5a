// The registry's running totals: what it counted since it was made. The terminator reports the
// difference of two snapshots (at terminate() and at the end).
import type { ServerResponse } from 'node:http';
import { connectionState, type TrackedConnection } from './TrackedConnection.js';

/** Running totals since the registry was made; the terminator reports differences of two snapshots. */
export interface RegistryCounters {
  /** Connections seen through the servers' `connection` event. */
  readonly accepted: number;
  readonly requests: number;
  readonly completed: number;
  readonly aborted: number;
  /** HTTP/2 sessions joined to a tracked connection. */
  readonly sessions: number;
  /** HTTP/2 streams opened; also counted in `requests` (and their ends in `completed`/`aborted`). */
  readonly streams: number;
  readonly streamsCompleted: number;
  readonly streamsAborted: number;
  /** Connections handed to an `upgrade`/`connect` listener. */
  readonly upgraded: number;
}

/** The totals, and what is in flight now (HTTP/1 responses not yet closed plus open HTTP/2 streams). */
export class Counters {
  inFlight = 0;
  accepted = 0;
  requests = 0;
  completed = 0;
  aborted = 0;
  sessions = 0;
  streams = 0;
  streamsCompleted = 0;
  streamsAborted = 0;
  upgraded = 0;

  /** An HTTP/1 request arrived (its response is in flight until it closes). */
  requestOpened(): void {
    this.inFlight++;
    this.requests++;
  }

  /** An HTTP/2 stream opened: a request too. */
  streamOpened(): void {
    this.requestOpened();
    this.streams++;
  }

  /** An HTTP/1 response closed: `finished` when it was sent in full. */
  responseClosed(finished: boolean): void {
    this.inFlight--;
    if (finished) this.completed++;
    else this.aborted++;
  }

  /** An HTTP/2 stream closed: `completed` when its response was sent in full. */
  streamClosed(completed: boolean): void {
    this.inFlight--;
    if (completed) {
      this.completed++;
      this.streamsCompleted++;
    } else {
      this.aborted++;
      this.streamsAborted++;
    }
  }

  snapshot(): RegistryCounters {
    const { accepted, requests, completed, aborted, sessions, streams, streamsCompleted, streamsAborted, upgraded } =
      this;
    return { accepted, requests, completed, aborted, sessions, streams, streamsCompleted, streamsAborted, upgraded };
  }
}

/**
 * A connection closed with responses or streams still open: Node emits no `close` for responses
 * queued behind a closed socket, nor (yet) for streams that ended with their session. Each is
 * counted now (a response sent in full as completed, the rest as aborted) and forgotten.
 */
export function settleClosed(
  connection: TrackedConnection,
  counts: Counters,
  onResponseClose: (this: ServerResponse) => void,
): void {
  for (const response of connectionState.takeResponses(connection)) {
    response.removeListener('close', onResponseClose);
    counts.responseClosed(response.writableFinished);
  }
  for (; connection.openStreams > 0; connectionState.addStreams(connection, -1)) counts.streamClosed(false);
}
