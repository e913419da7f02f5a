// The one small interface every library under test sits behind: attach to a server, then terminate.
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import type { WebSocketServer } from 'ws';

/** The servers the scenarios build: HTTP/1.1, or h2c for the HTTP/2 scenario. */
export type BenchServer = http.Server | http2.Http2Server;

export interface AttachOptions {
  /** Graceful period in milliseconds, for the libraries that take one; the rest ignore it. */
  readonly gracefulTimeoutMs: number;
  /** The WebSocket scenario's `ws` server, for a library that knows the protocol (@lastcall/ws). */
  readonly webSocketServer?: WebSocketServer;
}

export interface Attached {
  /** Starts the shutdown and resolves when the library says it is done (never rejects on a timeout). */
  terminate(): Promise<void>;
  /**
   * Waits out whatever the library still does after it said done, before the next run starts
   * in the same process (terminus re-raises its signal). Most libraries have nothing.
   */
  settle?(): Promise<void>;
}

export interface Adapter {
  /** Stable id: the child process argument and the results' key. */
  readonly id: string;
  /** Row label on the page. */
  readonly label: string;
  /** npm package measured, for its pinned version on the page; undefined for Node itself and the floor. */
  readonly pkg: string | undefined;
  /** lastcall's own rows: the ones the targets (and the smoke run) check. */
  readonly lastcall: boolean;
  /** Hooks the library onto a server that is created but not yet listening. */
  attach(server: BenchServer, options: AttachOptions): Attached;
}

/** Several peers only know HTTP/1 servers; the HTTP/2 scenario hands them an h2c server on purpose. */
export function asHttp1(server: BenchServer): http.Server {
  return server as http.Server;
}
