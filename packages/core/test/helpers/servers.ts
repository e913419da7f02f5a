// Real servers on 127.0.0.1 for the tests, one factory per kind, and their clean-up.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

const fixtures = path.join(__dirname, '..', 'fixtures');
/** A self-signed certificate for localhost / 127.0.0.1, committed for tests only. */
export const tlsMaterial = {
  key: readFileSync(path.join(fixtures, 'key.pem')),
  cert: readFileSync(path.join(fixtures, 'cert.pem')),
};

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
  const { port } = server.address() as AddressInfo;
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
