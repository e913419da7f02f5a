// The drain contract: how a terminator asks open connections to end.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShutdownContext } from '../context.js';
import type { Connection } from '../registry/Connection.js';

/**
 * Asked once to begin, then told about requests, idle connections, sessions and new
 * connections while draining. Drains compose: `combineDrains(a, b)` (or `drain: [a, b]`)
 * passes every call to each in order, so a drain does one job — HTTP (`KeepAliveDrain`), a
 * protocol (`WebSocketDrain`, your own) — and implements only the callbacks it needs.
 * A drain that throws or rejects is recorded in the report; the others still run, and the
 * terminator still forces at the deadline.
 */
export interface DrainStrategy {
  /** Starts the drain (stop accepting, ask open connections to end). Called once. */
  begin(context: ShutdownContext): void | Promise<void>;
  /** An HTTP/1 request arrived while draining, before the application's handler runs. */
  onRequest?(
    connection: Connection,
    request: IncomingMessage,
    response: ServerResponse,
    context: ShutdownContext,
  ): void;
  /** A connection's last request in flight ended while draining. */
  onIdle?(connection: Connection, context: ShutdownContext): void;
  /**
   * An HTTP/2 session was established while draining (a TLS handshake that finished after
   * `begin`, or a listener a drain kept open): `connection.session` is set.
   */
  onSession?(connection: Connection, context: ShutdownContext): void;
  /** A connection was accepted while draining (only while a drain keeps the listener open). */
  onConnection?(connection: Connection, context: ShutdownContext): void;
  /** The terminator left the draining state: clear timers, drop references. */
  dispose?(): void;
  /**
   * Only for a drain that runs around another one, such as `DelayedCloseDrain`: a drain like
   * this one, around `inner`. A platform team that registers such a wrapper on the container
   * (under `TOKENS.drain`) keeps it when a service passes its own `drain`: the service's drain
   * becomes the wrapper's inner drain. A drain without `wrap` is replaced, with a warning.
   */
  wrap?(inner: DrainStrategy): DrainStrategy;
}

/** A drain that has `wrap()` (internal name; the public type is `DrainStrategy` with `wrap`). */
export type WrappingDrain = DrainStrategy & { wrap(inner: DrainStrategy): DrainStrategy };

/** True for a drain that can wrap another (it has a `wrap()` method). */
export const isWrappingDrain = (drain: DrainStrategy): drain is WrappingDrain =>
  typeof (drain as Partial<WrappingDrain>).wrap === 'function';
