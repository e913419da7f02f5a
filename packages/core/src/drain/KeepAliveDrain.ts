// The default HTTP drain: refuse new connections, close idle keep-alive ones after a short
// grace, answer everything in flight or arriving with `Connection: close`, GOAWAY to HTTP/2.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShutdownContext } from '../context.js';
import { assertDuration, assertKnownOptions } from '../errors.js';
import type { Connection } from '../registry/Connection.js';
import type { ServerLike } from '../types.js';
import type { DrainStrategy } from './DrainStrategy.js';

/**
 * How long a keep-alive connection stays open after it went idle, once draining has begun, in
 * milliseconds. Why not 0: a keep-alive client sends its next request the moment it has read a
 * response; closing the connection under it resets that request. A request that arrives within
 * the grace is served, with `Connection: close`. A connection idle for longer than the grace
 * when draining begins closes at once (after the next poll for I/O, which reads a request
 * already in its socket): its client is not about to send.
 */
const DEFAULT_IDLE_GRACE_MS = 100;

/**
 * How often the idle pass looks again while a response that has ended is still flushing, in
 * milliseconds (at least the idle grace). Bounded by the deadline, where the force ends it.
 */
const FLUSH_RECHECK_MS = 25;

const KNOWN_OPTIONS = ['idleGrace'] as const;

/**
 * Contract points 1 to 6 (HTTP/1.1, HTTPS, HTTP/2): the listener closes at once; the last
 * response in flight on each connection gets `Connection: close` (pipelined ones before it
 * are answered normally); a request arriving while draining is served with
 * `Connection: close`; every HTTP/2 session gets GOAWAY; idle connections close after the
 * grace, through the server's own parser-aware `closeIdleConnections()`, so a connection
 * whose next request is half received is spared. Upgraded connections are left to the
 * deadline: combine a protocol drain (`@lastcall/ws`) for those.
 */
export class KeepAliveDrain implements DrainStrategy {
  /** The idle grace in use (milliseconds; the `idleGrace` option, default 100). */
  readonly idleGrace: number;
  /** Servers whose idle connections the next pass closes. */
  readonly #due = new Set<ServerLike>();
  #timer: unknown = undefined;
  /** The look at idle connections that `#closeListeners` defers past the next poll for I/O. */
  #beginTimer: unknown = undefined;
  #clock: ShutdownContext['clock'] | undefined;
  /** GOAWAY was sent to every HTTP/2 session: a session established from now on gets it too. */
  #goingAway = false;

  /**
   * @param options `idleGrace` (milliseconds): how long a keep-alive connection stays open
   * after it went idle, once draining has begun. One idle for longer when draining begins
   * closes at once (after the next poll for I/O); TLS sockets still in their handshake and
   * connections opened before tracking get the whole grace. `0` closes idle connections at
   * once, as Node's own `server.close()` does. Defaults to 100.
   */
  constructor(options: { idleGrace?: number } = {}) {
    assertKnownOptions('KeepAliveDrain', options, KNOWN_OPTIONS);
    // `=== undefined`, not `??`: an explicit null is bad input, not "use the default".
    const idleGrace = options.idleGrace === undefined ? DEFAULT_IDLE_GRACE_MS : options.idleGrace;
    this.idleGrace = assertDuration('KeepAliveDrain', 'idleGrace', idleGrace);
  }

  begin(context: ShutdownContext): void {
    this.#goingAway = true;
    // Every busy HTTP/1 connection's last response gets `Connection: close`; every HTTP/2
    // session gets GOAWAY (contract points 3 and 6).
    // The close pass's flush check rides along: with no grace the pass runs in this turn, and
    // one walk over thousands of records costs less than two.
    let flushing: Set<ServerLike> | undefined;
    for (const connection of context.registry.connections()) {
      connection.requestClose();
      if (connection.responses[0]?.writableEnded !== true) continue;
      flushing ??= new Set();
      flushing.add(connection.server);
    }
    this.#closeListeners(context, flushing);
  }

  /** A session established while draining (a TLS handshake that finished late). */
  onSession(connection: Connection, _context: ShutdownContext): void {
    if (this.#goingAway) connection.requestClose();
  }

  onRequest(connection: Connection, _request: IncomingMessage, _response: ServerResponse): void {
    connection.requestClose();
  }

  onIdle(connection: Connection, context: ShutdownContext): void {
    // A session that got GOAWAY closes itself when its last stream ends.
    if (connection.session !== undefined) return;
    const socket = connection.httpSocket;
    if (socket.destroyed) return;
    if (socket.writableEnded) {
      // After a `Connection: close` response Node has ended the socket, and destroys it only
      // once the shutdown it queued completes, an event-loop turn later. The response's bytes
      // are already with the kernel ('finish' came first), so closing now sends the same bytes
      // and FIN, and the shutdown resolves that turn sooner. Plain TCP only: a TLS socket
      // still has its close_notify to send.
      if (connection.kind === 'http1' && socket.writableLength === 0) connection.destroy();
      return;
    }
    this.#scheduleIdleClose(connection.server, context);
  }

  dispose(): void {
    if (this.#timer !== undefined) this.#clock?.clearTimeout(this.#timer);
    if (this.#beginTimer !== undefined) this.#clock?.clearTimeout(this.#beginTimer);
    this.#timer = undefined;
    this.#beginTimer = undefined;
    this.#due.clear();
  }

  /**
   * Stops accepting on every server, at once. The idle connections are looked at after the
   * next poll for I/O: a server with no idle connection that needs the grace then gets its
   * full `close()`; the others keep those connections for what is left of it.
   */
  #closeListeners(context: ShutdownContext, flushing: ReadonlySet<ServerLike> | undefined): void {
    if (this.idleGrace === 0) {
      for (const server of context.servers) this.#closeIdle(server, context, flushing?.has(server) === true);
      return;
    }
    for (const server of context.servers) context.registry.stopAccepting(server);
    // Not in this turn. terminate() often runs in the turn that handled the stop signal,
    // before the loop read what else arrived: a request a keep-alive client sent just before
    // can sit unread in its socket, and its connection looks idle, maybe long idle. Closing it
    // now resets that request (measured under PM2 reloads on a busy machine). Two timer turns:
    // however this turn began, a poll for I/O runs before the second one, and reads it first.
    this.#clock = context.clock;
    this.#beginTimer = context.clock.setTimeout(() => {
      this.#beginTimer = context.clock.setTimeout(() => {
        this.#beginTimer = undefined;
        for (const server of context.servers) {
          const { restMs, flushing } = this.#closeLongIdle(server, context);
          if (restMs === undefined) this.#closeIdle(server, context, flushing);
          else this.#scheduleIdleClose(server, context, restMs);
        }
      }, 0);
    }, 0);
  }

  /**
   * The grace serves the next request of a client that has just read a response; a
   * connection idle for longer than the grace already had it. Those close now, the others get
   * what is left of their grace. Returns the longest rest, or `undefined` when no connection
   * needs one (then the server's own parser-aware pass closes every idle one at once); and
   * whether a response that has ended may still be flushing (the pass's check, in this walk).
   */
  #closeLongIdle(server: ServerLike, context: ShutdownContext): { restMs: number | undefined; flushing: boolean } {
    const { registry, clock } = context;
    // Connections opened before tracking: how long they were idle is unknown.
    let restMs = registry.mayHaveUntracked(server) ? this.idleGrace : -1;
    const now = clock.now();
    const longIdle: Connection[] = [];
    let flushing = false;
    for (const connection of registry.connections(server)) {
      if (connection.responses[0]?.writableEnded === true) flushing = true;
      if (connection.session !== undefined || !connection.idle) continue;
      // Bytes since it went idle (a request partly received) or a TLS handshake still
      // running: not known to be long idle, so it keeps its whole grace.
      const idleFor = connection.idleFor(now);
      if (idleFor === undefined) restMs = this.idleGrace;
      else if (idleFor < this.idleGrace) restMs = Math.max(restMs, this.idleGrace - idleFor);
      else longIdle.push(connection);
    }
    if (restMs < 0) return { restMs: undefined, flushing };
    // Some connections need the rest of their grace, and the server's pass would close those
    // too: the long-idle ones are closed one by one.
    for (const connection of longIdle) connection.destroy();
    return { restMs, flushing };
  }

  /**
   * Closes the server's idle connections now (`RegistryView.closeIdle`), unless a response
   * that has ended may still be flushing: then only the listener, and a look again later.
   */
  #closeIdle(server: ServerLike, context: ShutdownContext, flushing = this.#flushing(server, context)): void {
    if (flushing) {
      // Node's closeIdleConnections() (http's close() runs it too) destroys a connection
      // whose current response has called end(), even while its bytes are still queued for
      // a slow reader, and the pipelined responses behind it: the client gets a cut body.
      context.registry.stopAccepting(server);
      this.#scheduleIdleClose(server, context, Math.max(this.idleGrace, FLUSH_RECHECK_MS));
      return;
    }
    context.registry.closeIdle(server);
  }

  /**
   * Closes the server's idle connections once no connection has become idle for a whole
   * grace: each idle connection gets at least the grace, and one timer serves them all.
   */
  #scheduleIdleClose(server: ServerLike, context: ShutdownContext, delay = this.idleGrace): void {
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
        for (const dueServer of due) this.#closeIdle(dueServer, context);
      }, 0);
    }, delay);
  }

  /** A connection of the server whose current response has ended but may still be flushing. */
  #flushing(server: ServerLike, context: ShutdownContext): boolean {
    for (const connection of context.registry.connections(server)) {
      if (connection.responses[0]?.writableEnded === true) return true;
    }
    return false;
  }
}
