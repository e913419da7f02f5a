// Real clients for the tests: keep-alive agents, raw sockets, and a load loop that counts outcomes.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Http1Kind } from './servers';
import { within } from './signals';

/**
 * How long a helper below waits by default, in milliseconds: a hang fails the test here, saying
 * what was awaited, instead of at jest's 30 s timeout. A few seconds even on a loaded machine.
 */
export const CLIENT_WAIT_MS = 5_000;

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

/**
 * One GET through an agent; resolves with the whole reply or rejects with the client's error.
 * Rejects after `ms` (and destroys the request) if the reply has not ended by then.
 */
export function get(
  kind: Http1Kind,
  port: number,
  path: string,
  agent: http.Agent | false,
  ms = CLIENT_WAIT_MS,
): Promise<Reply> {
  const request = kind === 'http' ? http.request : https.request;
  let req: http.ClientRequest | undefined;
  const reply = new Promise<Reply>((resolve, reject) => {
    req = request({ host: '127.0.0.1', port, path, agent, rejectUnauthorized: false }, (res) => {
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
  return within(reply, ms, `the reply to GET ${path} on port ${port}`).catch((error: unknown) => {
    // After a timeout the request would otherwise stay open; after its own error this does nothing.
    req?.destroy();
    throw error;
  });
}

/** A raw connection (TCP or TLS) for bytes the http client would never send; bounded by `ms`. */
export function connectRaw(kind: Http1Kind, port: number, ms = CLIENT_WAIT_MS): Promise<net.Socket> {
  const socket =
    kind === 'http'
      ? net.connect(port, '127.0.0.1')
      : tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
  const connected = new Promise<net.Socket>((resolve, reject) => {
    socket.once(kind === 'http' ? 'connect' : 'secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
  return within(connected, ms, `a ${kind} connection to port ${port}`).catch((error: unknown) => {
    // A connection still pending at the timeout is given up; after its own error this does nothing.
    socket.destroy();
    throw error;
  });
}

/**
 * Resolves once what a raw socket received (from now on) ends with `suffix`, and stops
 * listening, so the socket can be read again; rejects after `ms`.
 */
export function readUntil(socket: net.Socket, suffix: string, ms = CLIENT_WAIT_MS): Promise<void> {
  let onData: ((chunk: Buffer) => void) | undefined;
  const seen = new Promise<void>((resolve) => {
    let text = '';
    onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (text.endsWith(suffix)) resolve();
    };
    socket.on('data', onData);
  });
  return within(seen, ms, `the raw socket to receive ${JSON.stringify(suffix)}`).finally(() => {
    if (onData) socket.off('data', onData);
  });
}

/** Everything a raw socket receives until it closes; rejects if it is still open after `ms`. */
export function readAll(socket: net.Socket, ms = CLIENT_WAIT_MS): Promise<string> {
  const text = new Promise<string>((resolve) => {
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
  });
  return within(text, ms, 'the raw socket to close (readAll)');
}

/**
 * Resolves when the socket has closed, with the error that closed it, if any; rejects if it is
 * still open after `ms`.
 */
export function whenClosed(socket: net.Socket, ms = CLIENT_WAIT_MS): Promise<Error | undefined> {
  const closed = new Promise<Error | undefined>((resolve) => {
    let failure: Error | undefined;
    socket.on('error', (error) => {
      failure = error;
    });
    if (socket.destroyed) resolve(failure);
    else socket.on('close', () => resolve(failure));
  });
  return within(closed, ms, 'the socket to close (whenClosed)');
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
