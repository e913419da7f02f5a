// HTTP/2 tracking for the registry: joins each session to its connection and counts its streams,
// from the server's public `session` and `stream` events only.
import type { EventEmitter } from 'node:events';
import type * as http2 from 'node:http2';
import type { ServerLike } from '../types.js';
import type { Counters } from './counters.js';
import { connectionState, peerKey, type TrackedConnection } from './TrackedConnection.js';

/** What the registry does when a session or a stream comes and goes; it owns every counter. */
export interface Http2Hooks {
  /** A session was joined to its connection. */
  sessionJoined(connection: TrackedConnection): void;
  /** A stream opened on the connection's session. */
  streamOpened(connection: TrackedConnection): void;
  /** A stream closed; `completed` when its response was sent in full. */
  streamClosed(connection: TrackedConnection, completed: boolean): void;
}

/** Node's own listener type (its parameters are `any[]`). */
type Listener = Parameters<EventEmitter['on']>[1];

/** Adds a listener to the server and records its undo (the registry's `on`). */
type On = (event: string, listener: Listener, prepend?: boolean) => void;

/** The registry events the tracker needs: the connections of the server as they come and go. */
export interface ConnectionEvents {
  on(event: 'connection' | 'close', listener: (connection: TrackedConnection) => void): unknown;
  off(event: 'connection' | 'close', listener: (connection: TrackedConnection) => void): unknown;
}

/**
 * Tracks the sessions and streams of an http2 server (h2c or TLS, with or without allowHTTP1).
 *
 * Why the peer address: `session.socket` is a proxy, not the socket the registry keys on, but
 * it forwards `remoteAddress`/`remotePort`, which are unique per open connection of one
 * listener. Only connections still waiting for their session are indexed: Node emits `session`
 * synchronously from its own `connection` (h2c) or `secureConnection` (TLS) listener, after
 * the registry's prepended one made the record.
 */
export function trackHttp2(
  server: ServerLike,
  registry: ConnectionEvents,
  on: On,
  undo: Array<() => void>,
  hooks: Http2Hooks,
): void {
  const waiting = new Map<string, TrackedConnection>();
  const bySession = new WeakMap<http2.Http2Session, TrackedConnection>();

  const onConnection = (connection: TrackedConnection): void => {
    if (connection.server === server) waiting.set(peerKey(connection.socket), connection);
  };
  const onClose = (connection: TrackedConnection): void => {
    if (connection.server !== server) return;
    const key = peerKey(connection.socket);
    if (waiting.get(key) === connection) waiting.delete(key);
  };
  registry.on('connection', onConnection);
  registry.on('close', onClose);
  undo.push(() => {
    registry.off('connection', onConnection);
    registry.off('close', onClose);
    waiting.clear();
  });

  on('session', (session: http2.ServerHttp2Session) => {
    const socket = session.socket;
    if (socket === undefined) return;
    const key = peerKey(socket);
    const connection = waiting.get(key);
    // Not found: the connection was accepted before the server was tracked.
    if (connection === undefined) return;
    waiting.delete(key);
    connectionState.setSession(connection, session);
    // Over TLS the record was a `tls` connection until now; it carries HTTP/2 from here on.
    connectionState.setKind(connection, 'http2');
    bySession.set(session, connection);
    hooks.sessionJoined(connection);
  });

  // Prepended: the stream is counted before the application's handler can end it.
  on(
    'stream',
    (stream: http2.ServerHttp2Stream) => {
      const session = stream.session;
      const connection = session === undefined ? undefined : bySession.get(session);
      if (connection === undefined) return;
      hooks.streamOpened(connection);
      stream.once('close', () => {
        // Sent in full and not reset by either side (NGHTTP2_NO_ERROR is 0). Why not
        // `writableFinished` alone: a stream whose request body was uploaded closes, once both
        // sides sent END_STREAM, before its last write callback runs, so it reads false for a
        // response the client received in full. Ended and not reset counts as completed unless
        // its socket was destroyed (the force, or the peer gone): a session that closes
        // gracefully only ends its socket.
        const cut = connection.socket.destroyed || connection.httpSocket.destroyed;
        const ended = stream.writableEnded && !stream.rstCode && !cut;
        hooks.streamClosed(connection, (stream.writableFinished && !stream.rstCode) || ended);
      });
    },
    true,
  );
}

/** The registry's hooks: its counters count, and it emits `session` and `idle`. */
export function http2Hooks(
  counts: Counters,
  registry: { emit(event: 'session' | 'idle', connection: TrackedConnection): unknown },
): Http2Hooks {
  return {
    sessionJoined: (connection) => {
      counts.sessions++;
      registry.emit('session', connection);
    },
    streamOpened: (connection) => {
      connectionState.addStreams(connection, 1);
      counts.streamOpened();
    },
    streamClosed: (connection, completed) => {
      // Zero once the connection was removed: its streams were settled then.
      if (connection.openStreams === 0) return;
      connectionState.addStreams(connection, -1);
      counts.streamClosed(completed);
      if (connection.idle) registry.emit('idle', connection);
    },
  };
}
