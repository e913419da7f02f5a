// Real clients for the tests: keep-alive agents, raw sockets, and a load loop that counts outcomes.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Http1Kind } from './servers';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A keep-alive agent of the right kind. `rejectUnauthorized: false` for the test certificate. */
export function keepAliveAgent(kind: Http1Kind, maxSockets = 1): http.Agent {
  return kind === 'http'
    ? new http.Agent({ keepAlive: true, maxSockets })
    : new https.Agent({ keepAlive: true, maxSockets, rejectUnauthorized: false });
}

/** One GET through an agent; resolves with the whole reply or rejects with the client's error. */
export function get(kind: Http1Kind, port: number, path: string, agent: http.Agent | false): Promise<Reply> {
  const request = kind === 'http' ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw connection (TCP or TLS) for bytes the http client would never send. */
export function connectRaw(kind: Http1Kind, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      kind === 'http'
        ? net.connect(port, '127.0.0.1')
        : tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    socket.once(kind === 'http' ? 'connect' : 'secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything a raw socket receives until it closes. */
export function readAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
  });
}

/** Resolves when the socket has closed, with the error that closed it, if any. */
export function whenClosed(socket: net.Socket): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let failure: Error | undefined;
    socket.on('error', (error) => {
      failure = error;
    });
    if (socket.destroyed) resolve(failure);
    else socket.on('close', () => resolve(failure));
  });
}

export interface LoadOutcome {
  ok: number;
  /** ECONNREFUSED: the listener was closed, which is expected. */
  refused: number;
  /** Anything else: a reset, a hang-up, a non-200. These are drops. */
  failed: number;
  errors: string[];
}

/**
 * `clients` keep-alive clients, each looping requests on its own connection until `stopAt`
 * (a `performance.now()` time) or until a request is refused. Bounded in time and count.
 */
export async function keepAliveLoad(
  kind: Http1Kind,
  port: number,
  clients: number,
  stopAt: number,
  maxRequestsPerClient = 10_000,
): Promise<LoadOutcome> {
  const outcome: LoadOutcome = { ok: 0, refused: 0, failed: 0, errors: [] };
  const loop = async (): Promise<void> => {
    const agent = keepAliveAgent(kind, 1);
    try {
      for (let i = 0; i < maxRequestsPerClient && performance.now() < stopAt; i++) {
        try {
          const reply = await get(kind, port, '/', agent);
          if (reply.status === 200) outcome.ok++;
          else {
            outcome.failed++;
            outcome.errors.push(`status ${reply.status}`);
          }
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? String(error);
          if (code === 'ECONNREFUSED') {
            outcome.refused++;
            return;
          }
          outcome.failed++;
          outcome.errors.push(code);
        }
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return outcome;
}
