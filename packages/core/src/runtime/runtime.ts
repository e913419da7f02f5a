// Which runtime runs lastcall, and what its node:http gives: the one place that knows where
// Bun and Deno differ from Node (docs/runtimes.md), so that the registry, the drains and the
// report stay one code path for every runtime.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ServerLike } from '../types.js';

/** The runtime running lastcall, from what it reports about itself in `process.versions`. */
export type RuntimeName = 'node' | 'deno' | 'bun';

const versions = process.versions as NodeJS.ProcessVersions & { bun?: string; deno?: string };

export const RUNTIME: RuntimeName = versions.bun !== undefined ? 'bun' : versions.deno !== undefined ? 'deno' : 'node';

/**
 * True for an http, https or http2 server of the running runtime. On Node and Deno every one is
 * a `net.Server`. Bun's `node:http` and `node:https` servers are `http.Server` objects built on
 * Bun's own server, not `net.Server`s (its http2 servers are); its `https.Server` extends its
 * `http.Server`. Anything else (a plain object with a `listen`, a port number) is not a server.
 */
export function isServerLike(value: unknown): value is ServerLike {
  return value instanceof net.Server || value instanceof http.Server;
}

/** The server can close its listener alone (`net.Server`'s own `close()`), leaving its connections open. */
export function closesListenerAlone(server: ServerLike): boolean {
  return server instanceof net.Server;
}

/**
 * The server encrypts its connections and hands the application the encrypted socket only
 * (Bun's `https.Server`: `connection` comes after the handshake, with the socket requests arrive
 * on). Node's and Deno's TLS servers hand the raw socket first (`isTlsServer`).
 */
export function encryptsBeforeConnection(server: ServerLike): boolean {
  return !(server instanceof tls.Server) && server instanceof https.Server;
}

/** What a runtime kept lastcall from doing as the contract says, per server (reported by `terminate()`). */
const limitsByServer = new WeakMap<ServerLike, Set<string>>();

/** The sentences the report's `runtimeLimits` holds; docs/runtimes.md explains each. */
export const RUNTIME_LIMITS = {
  /**
   * Bun: no listener-only close; the server's own `close()` also ends its idle connections, so
   * with idle connections open the listener stays open for their grace.
   */
  listenerKeptForGrace: `${RUNTIME}: the server cannot close its listener alone (its close() also closes idle connections), so the listener stayed open for the idle grace; a connection opened then was answered with Connection: close`,
  /** Bun publishes no `http.server.*` diagnostics channel. */
  noEarlyRequests: `${RUNTIME}: no http.server diagnostics channel; responses in flight before createTerminator() were not adopted`,
} as const;

/** Records that the runtime limited what lastcall did for this server. */
export function noteLimit(server: ServerLike, limit: string): void {
  let limits = limitsByServer.get(server);
  if (limits === undefined) {
    limits = new Set();
    limitsByServer.set(server, limits);
  }
  limits.add(limit);
}

/** The limits recorded for these servers, each once, and forgets them (one report each). */
export function takeLimits(servers: readonly ServerLike[]): string[] {
  const all = new Set<string>();
  for (const server of servers) {
    for (const limit of limitsByServer.get(server) ?? []) all.add(limit);
    limitsByServer.delete(server);
  }
  return [...all];
}

/**
 * Stops accepting on a server that cannot close its listener alone: its own `close()`. On Bun
 * that is its server's graceful stop: the listener closes (a new connection is refused), idle
 * keep-alive connections close at once, and responses in flight finish on their connections.
 */
export function stopAcceptingWithClose(server: ServerLike): void {
  server.close();
}

/**
 * True when closing the listener now would also close idle connections a client may be sending
 * its next request on (Bun: `defersListenerClose` keeps it open instead, recorded for the report).
 * The drain closes the server, listener and idle connections at once, when the idle grace ends
 * (`RegistryView.closeIdle`); until then a new connection is accepted and every response on it
 * gets `Connection: close`. With no idle connection the listener closes at once.
 */
export function defersListenerClose(
  server: ServerLike,
  connections: Iterable<{ readonly idle: boolean; readonly kind: string }>,
): boolean {
  if (closesListenerAlone(server) || !server.listening) return false;
  for (const connection of connections) {
    if (connection.idle && (connection.kind === 'http1' || connection.kind === 'tls')) {
      noteLimit(server, RUNTIME_LIMITS.listenerKeptForGrace);
      return true;
    }
  }
  return false;
}

/** Whether this runtime publishes the `http.server.*` diagnostics channels (Node and Deno do, Bun does not). */
export const PUBLISHES_HTTP_SERVER_CHANNELS = RUNTIME !== 'bun';
