// One connection as the registry sees it: its sockets, its kind and its responses in flight.
import type { ServerResponse } from 'node:http';
import type * as http2 from 'node:http2';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import type { ConnectionKind, ServerLike } from '../types.js';

const NO_RESPONSES: readonly ServerResponse[] = Object.freeze([]);

/**
 * A connection's peer address: the same for a raw socket, the TLS socket over it and an HTTP/2
 * session's socket proxy, and unique among one listener's open connections. The registry joins
 * those three by it. Not exported from the package.
 */
export const peerKey = (socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string =>
  `${socket.remoteAddress}|${socket.remotePort}`;

/**
 * A connection of a tracked server. Strategies read it; only the registry changes it.
 * `responses` is in arrival order, so the last one is the one that closes a pipelined connection.
 */
export class TrackedConnection {
  /** The TLS socket once the handshake is done (TLS servers only). */
  tlsSocket: tls.TLSSocket | undefined = undefined;
  /** The HTTP/2 session on this connection (http2 servers only). */
  session: http2.Http2Session | undefined = undefined;
  /** Open HTTP/2 streams of the session. */
  openStreams = 0;
  /** HTTP/1 responses not yet closed, oldest first; an array only while one is in flight. */
  #responses: ServerResponse[] | undefined = undefined;

  constructor(
    /** Unique within one registry. */
    readonly id: number,
    readonly server: ServerLike,
    /** The TCP socket (for a TLS server, the raw socket under the TLS layer, when it was seen). */
    readonly socket: net.Socket,
    public kind: ConnectionKind,
  ) {}

  /**
   * HTTP/1 responses not yet closed, oldest first: the last one is the one that closes a
   * pipelined connection. Read-only for strategies; the registry keeps it.
   */
  get responses(): readonly ServerResponse[] {
    return this.#responses ?? NO_RESPONSES;
  }

  /**
   * For the registry: a request arrived on this connection. No array is kept while nothing is
   * in flight, so an idle connection costs no backing store (one in flight: one small array).
   */
  addResponse(response: ServerResponse): void {
    if (this.#responses === undefined) this.#responses = [response];
    else this.#responses.push(response);
  }

  /** For the registry: a response closed. False when it was not in flight on this connection. */
  removeResponse(response: ServerResponse): boolean {
    const list = this.#responses;
    if (list === undefined) return false;
    const index = list[0] === response ? 0 : list.indexOf(response);
    if (index < 0) return false;
    if (list.length === 1) this.#responses = undefined;
    else list.splice(index, 1);
    return true;
  }

  /** For the registry: the connection closed; returns the responses still in flight and forgets them. */
  takeResponses(): readonly ServerResponse[] {
    const list = this.#responses ?? NO_RESPONSES;
    this.#responses = undefined;
    return list;
  }

  /** A TLS connection whose handshake has not finished: no request can be in flight on it. */
  get handshaking(): boolean {
    return this.kind === 'tls' && this.tlsSocket === undefined && this.session === undefined;
  }

  /**
   * An HTTP/1 connection that has not received a single byte: no request can be partly
   * received on it, so it is as safe to close as an idle one. Node's own
   * `closeIdleConnections()` skips such a connection (its parser counts it as active).
   */
  get unused(): boolean {
    return (
      (this.kind === 'http1' || this.kind === 'tls') &&
      !this.handshaking &&
      this.responses.length === 0 &&
      this.httpSocket.bytesRead === 0
    );
  }

  /** No request in flight. An upgraded connection is never idle: its protocol is not HTTP any more. */
  get idle(): boolean {
    return this.kind !== 'upgraded' && this.responses.length === 0 && this.openStreams === 0;
  }

  /** The socket that carries HTTP: the TLS socket when there is one, else the TCP socket. */
  get httpSocket(): net.Socket {
    return this.tlsSocket ?? this.socket;
  }

  /** Ends the connection now, whatever it carries. */
  destroy(): void {
    this.session?.destroy();
    this.tlsSocket?.destroy();
    this.socket.destroy();
  }
}
