// Real servers and raw clients on 127.0.0.1 for the conformance checks, with every wait bounded.
// Only node: modules every runtime provides; the TLS certificate is the repository's test fixture.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';

const fixtures = new URL('../../packages/test-kit/fixtures/', import.meta.url);
/** The self-signed certificate for 127.0.0.1 that the project's tests use. */
export const tlsMaterial = {
  key: readFileSync(new URL('key.pem', fixtures)),
  cert: readFileSync(new URL('cert.pem', fixtures)),
};

/** Rejects with a message naming what did not happen when `promise` has not settled after `ms`. */
export function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function deferred() {
  let resolve;
  const promise = new Promise((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A server of `kind` (`http`, `https`, `h2c`, `h2`) listening on 127.0.0.1, and its port. */
export async function listen(kind, handler, defer) {
  const server =
    kind === 'http'
      ? http.createServer(handler)
      : kind === 'https'
        ? https.createServer(tlsMaterial, handler)
        : kind === 'h2c'
          ? http2.createServer(handler)
          : http2.createSecureServer(tlsMaterial, handler);
  await within(
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    }),
    5_000,
    `the ${kind} server to listen`,
  );
  defer(() => closeQuietly(server));
  return { server, port: server.address().port };
}

/** Closes a server and every connection it still has, whatever state a failed check left it in. */
export function closeQuietly(server) {
  return within(
    new Promise((resolve) => {
      server.closeAllConnections?.();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    }),
    2_000,
    'the server to close',
  ).catch(() => undefined);
}

/** A raw TCP or TLS connection (for http/https), connected. */
export function connectRaw(kind, port, defer) {
  const socket =
    kind === 'http'
      ? net.connect(port, '127.0.0.1')
      : tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  defer?.(() => socket.destroy());
  return within(
    new Promise((resolve, reject) => {
      socket.once(kind === 'http' ? 'connect' : 'secureConnect', () => resolve(socket));
      socket.once('error', reject);
    }),
    5_000,
    `a ${kind} connection to port ${port}`,
  );
}

/**
 * Follows what a raw socket receives: `text()` so far, `until(fragment)` resolves once it has
 * arrived, `closed` resolves when the socket closes, with the error code that closed it (if any).
 */
export function reader(socket) {
  let text = '';
  const waiters = new Set();
  let error;
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
    for (const waiter of waiters) waiter();
  });
  socket.on('error', (e) => {
    error = e.code ?? e.message;
  });
  const closed = new Promise((resolve) => {
    if (socket.destroyed) resolve(undefined);
    socket.once('close', () => resolve(error));
  });
  return {
    text: () => text,
    closed,
    until(fragment, ms = 5_000) {
      return within(
        new Promise((resolve) => {
          const look = () => {
            if (text.includes(fragment)) {
              waiters.delete(look);
              resolve(text);
            }
          };
          waiters.add(look);
          look();
        }),
        ms,
        `${JSON.stringify(fragment)} on the raw connection (got ${JSON.stringify(text.slice(0, 200))})`,
      );
    },
  };
}

/** Resolves `'refused'` when a new connection to the port is refused, `'accepted'` when it is accepted. */
export function tryConnect(port) {
  return within(
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('accepted');
      });
      socket.once('error', (error) => resolve(error.code === 'ECONNREFUSED' ? 'refused' : error.code));
    }),
    3_000,
    `a connection attempt to port ${port}`,
  );
}

/** The HTTP/1 responses in raw text, each as `{ status, connection, body }`. */
export function responses(text) {
  const found = [];
  let rest = text;
  for (let i = 0; i < 100 && rest.startsWith('HTTP/1.1 '); i++) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) break;
    const head = rest.slice(0, headEnd).split('\r\n');
    const header = (name) =>
      head
        .find((line) => line.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    const length = Number(header('content-length') ?? 0);
    found.push({
      status: Number(head[0].split(' ')[1]),
      connection: header('connection')?.toLowerCase(),
      body: rest.slice(headEnd + 4, headEnd + 4 + length),
    });
    rest = rest.slice(headEnd + 4 + length);
  }
  return found;
}

export const GET = (path) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

/** A keep-alive request through `agent`; resolves with status, `connection` header and body. */
export function request(kind, port, path, agent) {
  const client = kind === 'http' ? http : https;
  return within(
    new Promise((resolve, reject) => {
      const req = client.get({ host: '127.0.0.1', port, path, agent, rejectUnauthorized: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body }));
        res.on('error', reject);
      });
      // Whether the request went out on a kept-alive socket or a new one: a failure says which.
      req.on('error', (error) => {
        error.reused = req.reusedSocket;
        reject(error);
      });
    }),
    8_000,
    `GET ${path}`,
  );
}

export function keepAliveAgent(kind, defer, maxSockets = 1) {
  const agent = new (kind === 'http' ? http : https).Agent({ keepAlive: true, maxSockets });
  defer(() => agent.destroy());
  return agent;
}
