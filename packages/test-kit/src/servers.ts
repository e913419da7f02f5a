// Real servers on 127.0.0.1 for the tests, their clean-up, and what a test reads back from a
// server after a shutdown (its own connection count, its listeners).
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { tlsMaterial } from './tls';

export type Http1Kind = 'http' | 'https';
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface Started<S> {
  server: S;
  port: number;
  url: string;
}

/** Creates an http or https server and listens on an ephemeral port of 127.0.0.1. */
export async function startHttp1(kind: Http1Kind, handler: Handler): Promise<Started<http.Server | https.Server>> {
  const server = kind === 'http' ? http.createServer(handler) : https.createServer(tlsMaterial, handler);
  // Node's default (5 s) would close idle connections by itself during a test; we want ours to.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { server, port, url: `${kind}://127.0.0.1:${port}` };
}

/** Closes a server that a test left open, without waiting for its connections. */
export function closeQuietly(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      server.closeAllConnections();
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * The server's own count of open connections, tracked or not. Any server kind (http, https,
 * http2): they all count through net.Server, which is all this needs.
 */
export function openConnections(server: Pick<net.Server, 'getConnections'>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.getConnections((error, count) => (error ? reject(error) : resolve(count)));
  });
}

/** Listener counts of every event a terminator may listen to, to compare before and after. */
export function listenerCounts(emitter: NodeJS.EventEmitter): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of emitter.eventNames()) counts[String(event)] = emitter.listenerCount(event);
  return counts;
}
