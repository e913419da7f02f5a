// The drain contract: how a terminator asks open connections to end.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import type { SocketRegistry } from '../registry/SocketRegistry.js';
import type { TrackedConnection } from '../registry/TrackedConnection.js';
import type { ServerLike } from '../types.js';

/** What a strategy is given when the terminator starts draining (and, later, forcing). */
export interface DrainContext {
  /** The connections of every server, as tracked from their events. */
  readonly registry: SocketRegistry;
  /** The servers being terminated. */
  readonly servers: readonly ServerLike[];
  /** The terminator's clock: use it for every timer, so tests can drive it. */
  readonly clock: Clock;
  /** The clock time (`clock.now()`) at which the graceful period ends. `Infinity` for none. */
  readonly deadline: number;
  /** Aborted when the terminator stops draining (all closed, or the deadline came). */
  readonly signal: AbortSignal;
}

/**
 * Asked once to begin, then told about requests and idle connections while draining.
 * Implement it from scratch, or extend `KeepAliveDrain` and override what differs.
 * A strategy that throws is recorded in the report; the terminator still forces at the deadline.
 */
export interface DrainStrategy {
  /** Starts the drain: stop accepting, ask open connections to end. Called once. */
  begin(context: DrainContext): void | Promise<void>;
  /** An HTTP/1 request arrived while draining, before the application's handler runs. */
  onRequest?(
    connection: TrackedConnection,
    request: IncomingMessage,
    response: ServerResponse,
    context: DrainContext,
  ): void;
  /** A connection's last request in flight ended while draining. */
  onIdle?(connection: TrackedConnection, context: DrainContext): void;
  /**
   * An HTTP/2 session was established while draining (a TLS handshake that finished after
   * `begin`, or a listener the drain kept open): `connection.session` is set.
   */
  onSession?(connection: TrackedConnection, context: DrainContext): void;
  /** A connection was accepted while draining (only while the listener is still open). */
  onConnection?(connection: TrackedConnection, context: DrainContext): void;
  /** The terminator left the draining state: clear timers, drop references. */
  dispose?(): void;
}
