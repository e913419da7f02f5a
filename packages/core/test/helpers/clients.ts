// Real http clients for the core's tests: keep-alive agents, a bounded GET, and a load loop that
// counts outcomes. Raw sockets and their readers are in @lastcall/test-kit.
import * as http from 'node:http';
import * as https from 'node:https';
import { CLIENT_WAIT_MS, type Http1Kind, within } from '@lastcall/test-kit';

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
