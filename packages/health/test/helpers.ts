// Small clients for the health tests: one GET that resolves with its status, one raw TCP
// exchange with the agent-check responder.
import * as http from 'node:http';
import * as net from 'node:net';
import { CLIENT_WAIT_MS, within } from '@lastcall/test-kit';

/** One GET on a fresh connection (no agent keep-alive): status and body. */
export function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return within(
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    }),
    CLIENT_WAIT_MS,
    `GET ${path}`,
  );
}

/** Connects to the agent-check port, optionally writes `send`, and reads until the server closes. */
export function agentExchange(port: number, send?: string | Buffer): Promise<{ text: string; closedInMs: number }> {
  return within(
    new Promise((resolve, reject) => {
      const started = performance.now();
      const socket = net.connect({ host: '127.0.0.1', port });
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('connect', () => {
        if (send !== undefined) socket.write(send);
      });
      socket.on('error', reject);
      socket.on('close', () => resolve({ text, closedInMs: performance.now() - started }));
    }),
    CLIENT_WAIT_MS,
    'the agent-check answer',
  );
}
