// One connection as the registry keeps it: its sockets, its kind and its responses in flight.
// Strategies see it only as a `Connection`; the registry changes it through `connectionState`.
import type { ServerResponse } from 'node:http';
import type * as http2 from 'node:http2';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import type { ConnectionKind, ServerLike } from '../types.js';
import type { Connection } from './Connection.js';

const NO_RESPONSES: readonly ServerResponse[] = Object.freeze([]);

/**
 * Responses lastcall gave `Connection: close`, so the header can move to a later pipelined one.
 * One set for the process: a response belongs to one connection, and a weak set holds nothing.
 */
const marked = new WeakSet<ServerResponse>();

/**
 * A connection's peer address: the same for a raw socket, the TLS socket over it and an HTTP/2
 * session's socket proxy, and unique among one listener's open connections. The registry joins
 * those three by it. Not exported from the package.
 */
export const peerKey = (socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string =>
  `${socket.remoteAddress}|${socket.remotePort}`;

/**
 * The registry's write access to a record. Assigned inside the class (a static block can reach
 * the private fields), exported from this file only to the registry: a strategy holding a
 * `Connection` has no way to change what the registry counts.
 */
export let connectionState: {
  setKind(connection: TrackedConnection, kind: ConnectionKind): void;
  setTlsSocket(connection: TrackedConnection, socket: tls.TLSSocket): void;
  setSession(connection: TrackedConnection, session: http2.Http2Session): void;
  /** Adds (+1) or removes (-1) an open stream; returns the count after. */
  addStreams(connection: TrackedConnection, delta: number): number;
  addResponse(connection: TrackedConnection, response: ServerResponse): void;
  /** False when the response was not in flight on this connection. */
  removeResponse(connection: TrackedConnection, response: ServerResponse): boolean;
  /** The connection closed: returns the responses still in flight and forgets them. */
  takeResponses(connection: TrackedConnection): readonly ServerResponse[];
  tlsSocketOf(connection: TrackedConnection): tls.TLSSocket | undefined;
};

/** A connection of a tracked server. Fields are private: only the registry changes them. */
export class TrackedConnection implements Connection {
  #kind: ConnectionKind;
  /** The TLS socket once the handshake is done (TLS servers only). */
  #tlsSocket: tls.TLSSocket | undefined = undefined;
  #session: http2.Http2Session | undefined = undefined;
  #openStreams = 0;
  /** HTTP/1 responses not yet closed, oldest first; an array only while one is in flight. */
  #responses: ServerResponse[] | undefined = undefined;

  static {
    connectionState = {
      setKind: (c, kind) => {
        c.#kind = kind;
      },
      setTlsSocket: (c, socket) => {
        c.#tlsSocket = socket;
      },
      setSession: (c, session) => {
        c.#session = session;
      },
      addStreams: (c, delta) => {
        c.#openStreams += delta;
        return c.#openStreams;
      },
      // No array is kept while nothing is in flight: an idle connection costs no backing store.
      addResponse: (c, response) => {
        if (c.#responses === undefined) c.#responses = [response];
        else c.#responses.push(response);
      },
      removeResponse: (c, response) => {
        const list = c.#responses;
        if (list === undefined) return false;
        const index = list[0] === response ? 0 : list.indexOf(response);
        if (index < 0) return false;
        if (list.length === 1) c.#responses = undefined;
        else list.splice(index, 1);
        return true;
      },
      takeResponses: (c) => {
        const list = c.#responses ?? NO_RESPONSES;
        c.#responses = undefined;
        return list;
      },
      tlsSocketOf: (c) => c.#tlsSocket,
    };
  }

  constructor(
    readonly id: number,
    readonly server: ServerLike,
    readonly socket: net.Socket,
    kind: ConnectionKind,
  ) {
    this.#kind = kind;
  }

  get kind(): ConnectionKind {
    return this.#kind;
  }

  get session(): http2.Http2Session | undefined {
    return this.#session;
  }

  get openStreams(): number {
    return this.#openStreams;
  }

  get responses(): readonly ServerResponse[] {
    return this.#responses ?? NO_RESPONSES;
  }

  get handshaking(): boolean {
    // `encrypted`: a connection adopted after its handshake (older than the registry) has only
    // its TLS socket, and was taken for one still in its handshake and destroyed mid-response.
    return (
      this.#kind === 'tls' &&
      this.#tlsSocket === undefined &&
      this.#session === undefined &&
      (this.socket as Partial<tls.TLSSocket>).encrypted !== true
    );
  }

  get unused(): boolean {
    return (
      (this.#kind === 'http1' || this.#kind === 'tls') &&
      !this.handshaking &&
      this.#responses === undefined &&
      this.httpSocket.bytesRead === 0
    );
  }

  get idle(): boolean {
    return this.#kind !== 'upgraded' && this.#responses === undefined && this.#openStreams === 0;
  }

  get httpSocket(): net.Socket {
    return this.#tlsSocket ?? this.socket;
  }

  requestClose(): boolean {
    const session = this.#session;
    if (session !== undefined) {
      // Node destroys the session when its last stream closes; an idle one closes at once.
      if (!session.closed && !session.destroyed) session.close();
      return true;
    }
    const list = this.#responses;
    const last = list?.at(-1);
    if (list === undefined || last === undefined || last.headersSent) return false;
    if (!marked.has(last)) {
      last.setHeader('Connection', 'close');
      marked.add(last);
    }
    // Node ends the socket after a `Connection: close` response and drops what is queued
    // behind it: only the last pipelined response may carry it.
    const previous = list.at(-2);
    if (previous !== undefined && marked.has(previous) && !previous.headersSent) {
      previous.removeHeader('Connection');
      marked.delete(previous);
    }
    return true;
  }

  destroy(): void {
    this.#session?.destroy();
    this.#tlsSocket?.destroy();
    this.socket.destroy();
  }

  reset(): void {
    this.#session?.destroy();
    try {
      // A TLS socket seen only after its handshake is not a TCP handle: it cannot send RST.
      this.socket.resetAndDestroy();
    } catch {
      this.socket.destroy();
    }
    this.#tlsSocket?.destroy();
  }
}
