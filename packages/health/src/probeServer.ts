// A probe server of the health's own: an http server that answers the probe paths only.

import * as http from 'node:http';
import type { Socket } from 'node:net';
import { assertDuration, assertKnownOptions } from '@lastcall/core';
import { listenOn, resolveAddress } from './listen.js';

/** Options of `health.listen()`; `port` is required. */
export interface ProbeServerOptions {
  /** Port to listen on; `0` picks a free one (read it back from `port`). Required. */
  port?: number;
  /**
   * Address to bind. Defaults to `127.0.0.1`: only this host can probe.
   * `0.0.0.0` lets anyone who can reach the host read the probes (status codes; detail too if enabled).
   */
  host?: string;
  /**
   * How long a probe request may take to arrive in full, in milliseconds, and how long an idle
   * probe connection is kept. Defaults to 5000.
   */
  requestTimeout?: number;
}

/** Request and idle bound of the probe server, in milliseconds. */
const DEFAULT_REQUEST_TIMEOUT = 5_000;

/** A running probe server. */
export interface ProbeServer {
  /** The http server that answers the probe paths. */
  readonly server: http.Server;
  /** The address it is bound to (`127.0.0.1` unless `host` said otherwise). */
  readonly host: string;
  /** The bound port (the one picked when `port` was 0). */
  readonly port: number;
  /** Stops listening and closes its connections. Idempotent. */
  close(): Promise<void>;
}

const WHERE = 'health.listen';
const KNOWN = ['port', 'host', 'requestTimeout'] as const;

export async function startProbeServer(
  // The one thing asked of the health (a structural type: no import of Health.ts, which imports this).
  health: { handler(req: http.IncomingMessage, res: http.ServerResponse, next?: () => void): void },
  options: ProbeServerOptions,
  notFound: (res: http.ServerResponse) => void,
): Promise<ProbeServer> {
  assertKnownOptions(WHERE, options, KNOWN);
  const address = resolveAddress(WHERE, options.host, options.port);
  const timeout = assertDuration(
    WHERE,
    'requestTimeout',
    options.requestTimeout === undefined ? DEFAULT_REQUEST_TIMEOUT : options.requestTimeout,
  );
  const server = http.createServer((req, res) => health.handler(req, res, () => notFound(res)));
  // A probe is one small request: a client that dribbles or lingers is cut, not waited for.
  server.requestTimeout = timeout;
  server.headersTimeout = timeout;
  server.keepAliveTimeout = Math.min(timeout, 5_000);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listenOn(server, 'probe server', address);
  let closing: Promise<void> | undefined;
  return {
    server,
    host: address.host,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
