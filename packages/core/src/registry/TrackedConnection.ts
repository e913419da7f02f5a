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
  /**
   * False when the response was not in flight on this connection. The last one makes the
   * connection idle from clock time `now`.
   */
  removeResponse(connection: TrackedConnection, response: ServerResponse, now: number): boolean;
  /** The connection closed: returns the responses still in flight and forgets them. */
  takeResponses(connection: TrackedConnection): readonly ServerResponse[];
  tlsSocketOf(connection: TrackedConnection): tls.TLSSocket | undefined;
  /** A plain HTTP/1 connection with nothing in flight: its removal has nothing to settle. */
  plainIdle(connection: TrackedConnection): boolean;
};

/** What only TLS, HTTP/2 and upgraded connections need: kept off the plain HTTP/1 record. */
interface Extra {
  kind: ConnectionKind;
  /** The TLS socket once the handshake is done (TLS servers only). */
  tlsSocket: tls.TLSSocket | undefined;
  session: http2.Http2Session | undefined;
  openStreams: number;
}

/**
 * Idle times are kept as 30-bit millisecond integers (V8 small integers, stored in the record
 * itself rather than as a boxed heap number) and compared modulo 2^30: exact for any idle
 * time under 12 days; one idle longer than that may be taken for a recent one and get the grace.
 */
const TIME_MASK = 0x3fffffff;
const idleStamp = (now: number): number => Math.floor(now) & TIME_MASK;

/**
 * Ids handed out on first read: nothing in lastcall reads them, and a field would cost every
 * idle connection 8 bytes. Unique in the process, so within one terminator too.
 */
const ids = new WeakMap<TrackedConnection, number>();
let lastId = 0;

/**
 * A connection of a tracked server. Fields are private: only the registry changes them.
 * Kept small (every idle keep-alive connection has one): a plain HTTP/1 connection carries
 * five fields; what other kinds need lives in one object made only for them.
 */
export class TrackedConnection implements Connection {
  /**
   * HTTP/1 responses not yet closed, oldest first, while one is in flight (an array only
   * then); otherwise the time it went idle (accepted, or its last response closed), as `idleStamp`.
   */
  #state: ServerResponse[] | number;
  /** The HTTP socket's `bytesRead` when it went idle: more since then is a request partly received. */
  #readAtIdle = 0;
  #extra: Extra | undefined = undefined;

  static {
    connectionState = {
      setKind: (c, kind) => {
        if (c.#extra !== undefined || kind !== 'http1') c.#more().kind = kind;
      },
      setTlsSocket: (c, socket) => {
        c.#more().tlsSocket = socket;
      },
      setSession: (c, session) => {
        c.#more().session = session;
      },
      addStreams: (c, delta) => {
        const extra = c.#more();
        extra.openStreams += delta;
        return extra.openStreams;
      },
      // No array is kept while nothing is in flight: an idle connection costs no backing store.
      addResponse: (c, response) => {
        if (typeof c.#state === 'number') c.#state = [response];
        else c.#state.push(response);
      },
      removeResponse: (c, response, now) => {
        const list = c.#state;
        if (typeof list === 'number') return false;
        const index = list[0] === response ? 0 : list.indexOf(response);
        if (index < 0) return false;
        if (list.length > 1) {
          list.splice(index, 1);
          return true;
        }
        c.#state = idleStamp(now);
        c.#readAtIdle = c.httpSocket.bytesRead;
        return true;
      },
      takeResponses: (c) => {
        const list = c.responses;
        c.#state = 0;
        return list;
      },
      tlsSocketOf: (c) => c.#extra?.tlsSocket,
      plainIdle: (c) => c.#extra === undefined && typeof c.#state === 'number',
    };
  }

  constructor(
    readonly server: ServerLike,
    readonly socket: net.Socket,
    kind: ConnectionKind,
    /** The clock's time when it was seen (`Clock.now()`): idle from then until a request. */
    now = 0,
  ) {
    this.#state = idleStamp(now);
    if (kind !== 'http1') this.#more().kind = kind;
  }

  get id(): number {
    let id = ids.get(this);
    if (id === undefined) {
      id = ++lastId;
      ids.set(this, id);
    }
    return id;
  }

  #more(): Extra {
    this.#extra ??= { kind: 'http1', tlsSocket: undefined, session: undefined, openStreams: 0 };
    return this.#extra;
  }

  get kind(): ConnectionKind {
    return this.#extra?.kind ?? 'http1';
  }

  get session(): http2.Http2Session | undefined {
    return this.#extra?.session;
  }

  get openStreams(): number {
    return this.#extra?.openStreams ?? 0;
  }

  get responses(): readonly ServerResponse[] {
    const state = this.#state;
    return typeof state === 'number' ? NO_RESPONSES : state;
  }

  get handshaking(): boolean {
    // `encrypted`: a connection adopted after its handshake (older than the registry) has only
    // its TLS socket, and was taken for one still in its handshake and destroyed mid-response.
    const extra = this.#extra;
    return (
      extra?.kind === 'tls' &&
      extra.tlsSocket === undefined &&
      extra.session === undefined &&
      (this.socket as Partial<tls.TLSSocket>).encrypted !== true
    );
  }

  get unused(): boolean {
    const kind = this.kind;
    return (
      (kind === 'http1' || kind === 'tls') &&
      !this.handshaking &&
      typeof this.#state === 'number' &&
      this.httpSocket.bytesRead === 0
    );
  }

  get idle(): boolean {
    return typeof this.#state === 'number' && this.openStreams === 0 && this.kind !== 'upgraded';
  }

  get httpSocket(): net.Socket {
    return this.#extra?.tlsSocket ?? this.socket;
  }

  idleFor(now: number): number | undefined {
    const state = this.#state;
    if (typeof state !== 'number' || this.openStreams > 0 || (this.kind !== 'http1' && this.kind !== 'tls')) {
      return undefined;
    }
    if (this.handshaking || this.httpSocket.bytesRead !== this.#readAtIdle) return undefined;
    return (idleStamp(now) - state) & TIME_MASK;
  }

  requestClose(): boolean {
    const session = this.session;
    if (session !== undefined) {
      // Node destroys the session when its last stream closes; an idle one closes at once.
      if (!session.closed && !session.destroyed) session.close();
      return true;
    }
    const list = this.#state;
    const last = typeof list === 'number' ? undefined : list.at(-1);
    if (typeof list === 'number' || last === undefined || last.headersSent) return false;
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
    this.#extra?.session?.destroy();
    this.#extra?.tlsSocket?.destroy();
    this.socket.destroy();
  }

  reset(): void {
    this.#extra?.session?.destroy();
    try {
      // A TLS socket seen only after its handshake is not a TCP handle: it cannot send RST.
      this.socket.resetAndDestroy();
    } catch {
      this.socket.destroy();
    }
    this.#extra?.tlsSocket?.destroy();
  }
}
