// What kind of server this is (what lastcall may do to one is in ServerControls.ts).
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { encryptsBeforeConnection, isServerLike as isServerOfRuntime } from './runtime/runtime.js';
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
