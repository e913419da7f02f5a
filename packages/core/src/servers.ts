// What kind of server this is, and the three ways lastcall asks a server to stop.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  closesListenerAlone,
  encryptsBeforeConnection,
  isServerLike as isServerOfRuntime,
  stopAcceptingWithClose,
} from './runtime/runtime.js';
import type { ServerLike } from './types.js';

/** True for anything lastcall can drain: an http, https or http2 server of the running runtime (see runtime/). */
export function isServerLike(value: unknown): value is ServerLike {
  return isServerOfRuntime(value);
}

/** The server speaks HTTP/1 through Node's http machinery (http, https, or http2 with allowHTTP1). */
export function speaksHttp1(server: ServerLike): server is http.Server | https.Server {
  return typeof (server as http.Server).closeIdleConnections === 'function';
}

/** The server terminates TLS itself: its `connection` event carries a raw socket in its handshake. */
export function isTlsServer(server: ServerLike): boolean {
  return server instanceof tls.Server;
}

/** The kind of this server's connections: `tls` for https and http2 over TLS handed over before or after the handshake. */
export function connectionKindOf(server: ServerLike): 'tls' | 'http2' | 'http1' {
  if (isTlsServer(server) || encryptsBeforeConnection(server)) return 'tls';
  return isHttp2Server(server) ? 'http2' : 'http1';
}

/** The server is an HTTP/2 server (h2c or TLS): neither an `http.Server` nor an `https.Server`. */
export function isHttp2Server(server: ServerLike): boolean {
  return !(server instanceof http.Server) && !(server instanceof https.Server);
}

/**
 * Stops accepting connections without touching the ones that are open.
 *
 * Why the base class: since Node 19, `http.Server#close()` also destroys every idle
 * keep-alive connection at once, which resets a client that is just sending its next
 * request. `net.Server.prototype.close` is the public method that only closes the listener;
 * calling it on the instance replaces nothing.
 */
export function stopAccepting(server: ServerLike): void {
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
