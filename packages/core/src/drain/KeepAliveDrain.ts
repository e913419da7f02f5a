// The default drain: refuse new connections, close idle keep-alive ones after a short grace,
// and answer everything in flight or arriving with `Connection: close`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertDurationMs } from '../errors.js';
import type { TrackedConnection } from '../registry/TrackedConnection.js';
import type { ServerLike } from '../types.js';
import type { DrainContext, DrainStrategy } from './DrainStrategy.js';
import { goAway } from './http2.js';

/**
 * How long an idle keep-alive connection stays open once draining begins, in milliseconds.
 * Why not 0: a keep-alive client sends its next request the moment it has read a response;
 * closing the connection under it resets that request. A request that arrives within the
 * grace is served, with `Connection: close`.
 */
export const DEFAULT_IDLE_GRACE_MS = 100;

/**
 * How often the idle pass looks again while a response that has ended is still flushing, in
 * milliseconds (at least the idle grace). Bounded by the deadline, where the force ends it.
 */
export const FLUSH_RECHECK_MS = 25;

export interface KeepAliveDrainOptions {
  /**
   * Idle grace, in milliseconds: how long idle keep-alive connections (and TLS sockets still
   * in their handshake) stay open after draining begins or after they become idle.
   * `0` closes them at once, as Node's own `server.close()` does. Defaults to 100 ms.
   */
  idleGraceMs?: number;
}

/**
 * Contract points 1 to 5 (HTTP/1.1 and HTTPS):
 * the listener closes at once; the last response in flight on each connection gets
 * `Connection: close` (pipelined ones before it are answered normally); a request arriving
 * while draining is served with `Connection: close`; idle connections close after the grace,
 * through the server's own parser-aware `closeIdleConnections()`, so a connection whose next
 * request is half received is spared.
 */
export class KeepAliveDrain implements DrainStrategy {
  readonly idleGraceMs: number;
  /** Responses we gave `Connection: close`, so we can move it to a later pipelined one. */
  readonly #marked = new WeakSet<ServerResponse>();
  /** Servers whose idle connections the next pass closes. */
  readonly #due = new Set<ServerLike>();
  #timer: unknown = undefined;
  #clock: DrainContext['clock'] | undefined;
  /** GOAWAY was sent to every HTTP/2 session: a session established from now on gets it too. */
  #goingAway = false;

  constructor(options: KeepAliveDrainOptions = {}) {
    // `=== undefined`, not `??`: an explicit null is bad input, not "use the default".
    const idleGraceMs = options.idleGraceMs === undefined ? DEFAULT_IDLE_GRACE_MS : options.idleGraceMs;
    this.idleGraceMs = assertDurationMs('KeepAliveDrain', 'idleGraceMs', idleGraceMs);
  }

  begin(context: DrainContext): void {
    this.askInFlightToClose(context);
    this.goAwayAll(context);
    this.closeListeners(context);
  }

  /** A session established while draining (a TLS handshake that finished late). */
  onSession(connection: TrackedConnection, _context: DrainContext): void {
    if (this.#goingAway) goAway(connection);
  }

  onRequest(connection: TrackedConnection, _request: IncomingMessage, response: ServerResponse): void {
    this.markClose(connection, response);
  }

  onIdle(connection: TrackedConnection, context: DrainContext): void {
    // A session that got GOAWAY closes itself when its last stream ends.
    if (connection.session !== undefined) return;
    // After a `Connection: close` response Node ends the socket itself; nothing to do.
    const socket = connection.httpSocket;
    if (socket.writableEnded || socket.destroyed) return;
    this.scheduleIdleClose(connection.server, context);
  }

  dispose(): void {
    if (this.#timer !== undefined) this.#clock?.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#due.clear();
  }

  /** Gives the last response of every busy connection `Connection: close`. */
  protected askInFlightToClose(context: DrainContext): void {
    for (const connection of context.registry.connections()) {
      const last = connection.responses.at(-1);
      if (last !== undefined) this.markClose(connection, last);
    }
  }

  /** Contract point 6: GOAWAY to every HTTP/2 session; each closes when its last stream ends. */
  protected goAwayAll(context: DrainContext): void {
    this.#goingAway = true;
    for (const connection of context.registry.connections()) goAway(connection);
  }

  /**
   * Stops accepting on every server. A server with no idle connection gets its full
   * `close()` at once; the others keep their idle connections for the grace.
   */
  protected closeListeners(context: DrainContext): void {
    for (const server of context.servers) {
      if (this.idleGraceMs === 0 || !this.#hasIdle(server, context)) {
        this.closeIdle(server, context);
      } else {
        context.registry.stopAccepting(server);
        this.scheduleIdleClose(server, context);
      }
    }
  }

  /**
   * Closes the server's idle connections now: its full `close()` the first time, then its
   * `closeIdleConnections()`, plus what that skips: TLS sockets still in their handshake and
   * connections that have not received a byte.
   */
  protected closeIdle(server: ServerLike, context: DrainContext): void {
    if (this.#flushing(server, context)) {
      // Node's closeIdleConnections() (http's close() runs it too) destroys a connection
      // whose current response has called end(), even while its bytes are still queued for
      // a slow reader, and the pipelined responses behind it: the client gets a cut body.
      // Close only the listener now, and look again once the flush had time.
      context.registry.stopAccepting(server);
      this.scheduleIdleClose(server, context, Math.max(this.idleGraceMs, FLUSH_RECHECK_MS));
      return;
    }
    // close() runs closeIdleConnections() itself (http, and http2 with allowHTTP1, on Node >= 19).
    if (!context.registry.closeServer(server)) {
      (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    }
    for (const connection of [...context.registry.connections(server)]) {
      if (connection.handshaking || connection.unused) connection.destroy();
    }
  }

  /**
   * Closes the server's idle connections once no connection has become idle for a whole
   * grace: each idle connection gets at least the grace, and one timer serves them all.
   */
  protected scheduleIdleClose(server: ServerLike, context: DrainContext, delayMs = this.idleGraceMs): void {
    this.#due.add(server);
    this.#clock = context.clock;
    if (this.#timer !== undefined) context.clock.clearTimeout(this.#timer);
    this.#timer = context.clock.setTimeout(() => {
      // One more turn before closing. A timer runs before the event loop polls for I/O: in a
      // process that was busy when the grace ended, a request a client sent within the grace
      // can still sit unread in the socket, and the connection still looks idle. The next
      // turn's poll phase reads it first; the connection is then busy, not idle.
      this.#timer = context.clock.setTimeout(() => {
        this.#timer = undefined;
        const due = [...this.#due];
        this.#due.clear();
        for (const dueServer of due) this.closeIdle(dueServer, context);
      }, 0);
    }, delayMs);
  }

  /** A connection of the server whose current response has ended but may still be flushing. */
  #flushing(server: ServerLike, context: DrainContext): boolean {
    for (const connection of context.registry.connections(server)) {
      if (connection.responses[0]?.writableEnded === true) return true;
    }
    return false;
  }

  /**
   * `Connection: close` on `response` if its head is not sent yet. On a pipelined connection
   * only the last response may carry it (Node ends the socket after it and drops the rest),
   * so it moves from the previous one when that one has not sent its head either.
   */
  protected markClose(connection: TrackedConnection, response: ServerResponse): void {
    if (response.headersSent) return;
    response.setHeader('Connection', 'close');
    this.#marked.add(response);
    const previous = connection.responses.at(-2);
    if (previous !== undefined && previous !== response && this.#marked.has(previous) && !previous.headersSent) {
      previous.removeHeader('Connection');
      this.#marked.delete(previous);
    }
  }

  /** Idle connections that the grace protects: tracked ones, or ones opened before tracking. */
  #hasIdle(server: ServerLike, context: DrainContext): boolean {
    if (context.registry.mayHaveUntracked(server)) return true;
    for (const connection of context.registry.connections(server)) if (connection.idle) return true;
    return false;
  }
}
