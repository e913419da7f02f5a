// What lastcall may do to a server, in one place: stop accepting, close idle connections, close
// the server, and the one private field it touches. The registry knows; this acts.
import * as net from 'node:net';
import type { Connection } from './registry/Connection.js';
import { closesListenerAlone, defersListenerClose, stopAcceptingWithClose } from './runtime/runtime.js';
import type { ServerLike } from './types.js';

/** What the controls read and set of a tracked server (a `ServerTracker`). */
export interface ServerState {
  readonly server: ServerLike;
  /** lastcall closed the listener itself; the server's full `close()` is still owed. */
  stoppedByUs: boolean;
  /** The server emitted `close` since it last emitted `listening`. */
  readonly closed: boolean;
  /** A drain asked this server to stop (a `listen()` still resolving closes when it is done). */
  stopRequested: boolean;
}

/**
 * The servers' controls, as the strategies get them on `RegistryView`. A server the registry
 * does not track (none in practice: the terminator tracks each of its servers) is controlled
 * from its public state alone.
 */
export class ServerControls {
  readonly #stateOf: (server: ServerLike) => ServerState | undefined;
  readonly #connections: (server: ServerLike) => Iterable<Connection>;

  constructor(
    stateOf: (server: ServerLike) => ServerState | undefined,
    connections: (server: ServerLike) => Iterable<Connection>,
  ) {
    this.#stateOf = stateOf;
    this.#connections = connections;
  }

  /** Closes the server's listener, leaving its connections open. */
  stopAccepting(server: ServerLike): void {
    // Bun: its close() would close the idle connections too; closeIdle() closes it after the grace.
    if (defersListenerClose(server, this.#connections(server))) return;
    const state = this.#stateOf(server);
    if (state === undefined) {
      closeListener(server);
      return;
    }
    state.stopRequested = true;
    if (server.listening) state.stoppedByUs = true;
    closeListener(server);
  }

  /**
   * The server's own full `close()` (for http, that also ends its idle connections and its
   * timeout checker), once, and never after it emitted `close`: a second `close` event would
   * surprise the application's listeners. Returns true when it called `close()`.
   */
  closeServer(server: ServerLike): boolean {
    const state = this.#stateOf(server);
    if (state === undefined) {
      if (!server.listening) return false;
      server.close();
      return true;
    }
    return closeTracked(state);
  }

  /** See `RegistryView.closeIdle`. */
  closeIdle(server: ServerLike): void {
    // close() runs closeIdleConnections() itself (http, and http2 with allowHTTP1, on Node >= 19).
    if (!this.closeServer(server)) (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    // A live walk: destroy() removes no record in this turn (sockets report `close` later).
    for (const connection of this.#connections(server)) {
      if (!connection.socket.destroyed && (connection.handshaking || connection.unused)) connection.destroy();
    }
  }

  /** True once the server's listener is closed and it emitted `close` (or it never listened). */
  isClosed(server: ServerLike): boolean {
    const state = this.#stateOf(server);
    return state ? state.closed : !server.listening;
  }
}

/** The full `close()` of a tracked server, under the rules of `ServerControls.closeServer`. */
export function closeTracked(state: ServerState): boolean {
  state.stopRequested = true;
  if (state.closed) return false;
  if (state.server.listening || state.stoppedByUs) {
    state.stoppedByUs = false;
    state.server.close();
    return true;
  }
  return false;
}

/**
 * Stops accepting connections without touching the ones that are open.
 *
 * Why the base class: since Node 19, `http.Server#close()` also destroys every idle
 * keep-alive connection at once, which resets a client that is just sending its next
 * request. `net.Server.prototype.close` is the public method that only closes the listener;
 * calling it on the instance replaces nothing.
 */
function closeListener(server: ServerLike): void {
  if (!server.listening) return;
  if (closesListenerAlone(server)) net.Server.prototype.close.call(server);
  // Bun: no listener-only close (runtime/runtime.ts).
  else stopAcceptingWithClose(server);
}

/**
 * Clears the http server's connections checker (headersTimeout/requestTimeout): an unref'd
 * interval that only `http.Server#close()` clears, and that keeps the server in memory.
 *
 * The one private field lastcall touches, and only when it must. lastcall closes the
 * listener alone (`stopAccepting`) and calls the server's own `close()` when the idle grace
 * ends; if every connection is gone before that, the server has already emitted `close`, and
 * a second `close()` would emit it again to the application. No public method clears the
 * interval, so it is found by its symbol's description and cleared; nothing is replaced or
 * added. If Node renames the symbol this does nothing: the leak comes back, nothing breaks.
 * Test: packages/core/test/reliability/churn.leak.test.ts ("terminate() right after createTerminator()").
 */
export function releaseConnectionsChecker(server: ServerLike): void {
  for (const symbol of Object.getOwnPropertySymbols(server)) {
    if (symbol.description !== 'http.server.connectionsCheckingInterval') continue;
    const timer = (server as unknown as Record<symbol, unknown>)[symbol];
    if (timer !== undefined) clearInterval(timer as NodeJS.Timeout);
  }
}
