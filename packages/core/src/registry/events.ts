// The events a registry emits, each synchronously from the Node event that caused it.
import type * as http from 'node:http';
import type { TrackedConnection } from './TrackedConnection.js';

/** Events of a registry. Each is emitted synchronously from the Node event that caused it. */
export interface SocketRegistryEvents {
  /** A connection was accepted (not emitted for connections adopted after they were open). */
  connection: [connection: TrackedConnection];
  /** An HTTP/1 request arrived; emitted before the server's own `request` listeners run. */
  request: [connection: TrackedConnection, request: http.IncomingMessage, response: http.ServerResponse];
  /** A connection's last request in flight ended. */
  idle: [connection: TrackedConnection];
  /**
   * A connection closed; it is no longer tracked. Emitted at once while draining (after
   * `watch()`), and lazily before (when a sweep finds the socket destroyed).
   */
  close: [connection: TrackedConnection];
  /** An HTTP/1 connection was handed to an `upgrade` or `connect` listener. */
  upgrade: [connection: TrackedConnection];
  /** An HTTP/2 session was established on a connection (`connection.session` is set). */
  session: [connection: TrackedConnection];
  /**
   * Every tracked server has emitted `close` and no connection is left: emitted from the event
   * that made it so, so a waiter can finish in the same turn.
   */
  drained: [];
}
