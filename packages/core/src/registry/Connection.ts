// What a strategy sees of the registry: read-only views of connections and of the registry,
// plus the few things a strategy may ask of them. The registry's mutable internals stay inside.
import type { ServerResponse } from 'node:http';
import type * as http2 from 'node:http2';
import type * as net from 'node:net';
import type { ServerLike } from '../types.js';

/** One connection of a tracked server, as a drain or force strategy sees it. */
export interface Connection {
  /** Unique within one terminator. */
  readonly id: number;
  /** The server that accepted it. */
  readonly server: ServerLike;
  /**
   * What it carries now: `http1` plain HTTP/1.x, `tls` HTTP/1.x over TLS (or a TLS socket still
   * in its handshake), `http2` an HTTP/2 session (a TLS connection becomes `http2` once its
   * session is up), `upgraded` a socket handed to an `upgrade`/`connect` listener.
   */
  readonly kind: 'http1' | 'tls' | 'http2' | 'upgraded';
  /** The TCP socket (for a TLS server, the raw socket under the TLS layer when it was seen). */
  readonly socket: net.Socket;
  /** The socket that carries HTTP: the TLS socket when there is one, else the TCP socket. */
  readonly httpSocket: net.Socket;
  /** The HTTP/2 session on this connection (http2 servers only). */
  readonly session: http2.Http2Session | undefined;
  /** HTTP/1 responses not yet closed, oldest first: the last one closes a pipelined connection. */
  readonly responses: readonly ServerResponse[];
  /** Open HTTP/2 streams of the session. */
  readonly openStreams: number;
  /** No request in flight. An upgraded connection is never idle: it no longer speaks HTTP. */
  readonly idle: boolean;
  /** A TLS connection whose handshake has not finished: no request can be in flight on it. */
  readonly handshaking: boolean;
  /**
   * How long an HTTP/1 connection has been idle at clock time `now` (`ShutdownContext.clock`),
   * in milliseconds: since its last response closed, or since it was accepted. `undefined`
   * when it is not known to be idle: a request in flight, bytes received since (a request
   * partly received), a TLS handshake still running, or another kind of connection.
   */
  idleFor(now: number): number | undefined;
  /**
   * An HTTP/1 connection that has not received a byte: no request can be partly received on
   * it, so it is as safe to close as an idle one (Node's `closeIdleConnections()` skips it).
   */
  readonly unused: boolean;
  /**
   * Asks the connection to end gracefully, and says whether there was anything to ask:
   * HTTP/1 — `Connection: close` on its last response whose head is not sent yet (moved there
   * from an earlier pipelined response that lastcall marked, since only the last one may close
   * the connection); HTTP/2 — GOAWAY, after which the session closes when its last stream ends.
   * An idle HTTP/1 connection has no response to mark: close it through
   * `RegistryView.closeIdle()`, which spares a request that is half received.
   */
  requestClose(): boolean;
  /** Ends the connection now (FIN), whatever it carries. */
  destroy(): void;
  /** Ends the connection now with a TCP reset where the socket allows it, else destroys it. */
  reset(): void;
}

/** The registry of one terminator, as a strategy sees it: what is open, and the servers' controls. */
export interface RegistryView {
  /** Connections being tracked. */
  readonly size: number;
  /** HTTP/1 responses not yet closed plus open HTTP/2 streams, across every connection. */
  readonly inFlight: number;
  /** Every tracked connection, of one server or of all; each once. */
  connections(server?: ServerLike): IterableIterator<Connection>;
  /** True when the server may have connections the registry has not seen (it was serving before tracking). */
  mayHaveUntracked(server: ServerLike): boolean;
  /** Closes the server's listener and leaves its connections open. */
  stopAccepting(server: ServerLike): void;
  /**
   * Closes the server's idle connections now, the way the server itself does
   * (`closeIdleConnections()`, through its full `close()` the first time), plus what that
   * skips: TLS sockets still in their handshake and connections that never received a byte.
   * A connection whose next request is partly received is spared.
   */
  closeIdle(server: ServerLike): void;
  /** The server's own full `close()`, once, and never after it emitted `close`. True when it called it. */
  closeServer(server: ServerLike): boolean;
  /** True once the server's listener is closed and it emitted `close` (or it never listened). */
  isClosed(server: ServerLike): boolean;
}
