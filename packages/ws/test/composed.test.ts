// The Kubernetes shape, end to end on real sockets: a listener delay around the HTTP drain and
// the WebSocket drain, in one line of createTerminator, and the same composed by a platform's
// container registration and a service's own drain.
import * as http from 'node:http';
import * as net from 'node:net';
import {
  createContainer,
  createTerminator,
  DelayedCloseDrain,
  KeepAliveDrain,
  type Terminator,
  TOKENS,
} from '@lastcall/core';
import { sleep, within } from '@lastcall/test-kit';
import { WebSocketDrain } from '@lastcall/ws';
import { WebSocket, WebSocketServer } from 'ws';

/** The listener delay here: long enough that a request made inside it lands on a loaded machine. */
const DELAY_MS = 1_000;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An http server whose `/slow` answers after 600 ms with a 64 KiB body, with a `ws` server on it. */
async function start(): Promise<{
  server: http.Server;
  wss: WebSocketServer;
  port: number;
  slowArrived: Promise<void>;
}> {
  let arrived: () => void = () => undefined;
  const slowArrived = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      arrived();
      setTimeout(() => res.end('x'.repeat(64 * 1024)), 600);
      return;
    }
    res.end('fast');
  });
  server.keepAliveTimeout = 60_000;
  const wss = new WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, wss, port: (server.address() as net.AddressInfo).port, slowArrived };
}

/** A GET on a fresh connection: status, the Connection header, and the body's length. */
function get(port: number, path: string): Promise<{ status: number; connection: string | undefined; length: number }> {
  return within(
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
          let length = 0;
          res.on('data', (chunk: Buffer) => {
            length += chunk.length;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, length }));
          res.on('error', reject);
        })
        .on('error', reject);
    }),
    5_000,
    `GET ${path}`,
  );
}

function connectOutcome(port: number): Promise<'connected' | string> {
  return within(
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    }),
    3_000,
    'a connect outcome',
  );
}

/** An open ws client; `closed` resolves with the close code it sees. (An object: an async function would flatten a returned promise.) */
async function openClient(port: number): Promise<{ closed: Promise<number> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  cleanups.push(() => ws.terminate());
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await within(new Promise((resolve) => ws.once('open', resolve)), 5_000, 'the WebSocket to open');
  return { closed };
}

async function expectKubernetesShape(terminator: Terminator, port: number, slowArrived: Promise<void>): Promise<void> {
  const { closed: wsClosed } = await openClient(port);
  const inFlight = get(port, '/slow');
  await within(slowArrived, 5_000, 'the slow request to reach its handler');

  const started = performance.now();
  const done = terminator.terminate();
  // During the delay: a new connection is accepted and served, told to close.
  const during = await get(port, '/');
  expect(performance.now() - started).toBeLessThan(DELAY_MS);
  expect(during).toEqual({ status: 200, connection: 'close', length: 4 });
  // The WebSocket is not told before the delay ends: the balancer may still send it here.
  await sleep(Math.max(0, DELAY_MS / 2 - (performance.now() - started)));
  const stillOpen = await Promise.race([wsClosed.then(() => 'closed'), sleep(0).then(() => 'open')]);
  expect(stillOpen).toBe('open');

  // After the delay: the WebSocket gets 1001, the listener refuses, the request in flight
  // got its whole body with Connection: close.
  expect(await within(wsClosed, DELAY_MS + 3_000, 'the WebSocket close')).toBe(1001);
  expect(performance.now() - started).toBeGreaterThanOrEqual(DELAY_MS - 5);
  expect(await connectOutcome(port)).toBe('ECONNREFUSED');
  expect(await inFlight).toEqual({ status: 200, connection: 'close', length: 64 * 1024 });

  const report = await within(done, 5_000, 'terminate()');
  expect(report.timedOut).toBe(false);
  expect(report.failures).toEqual([]);
  expect(report.connections.acceptedDuringDrain).toBeGreaterThanOrEqual(1);
  expect(report.upgraded).toMatchObject({ atStart: 1, closedGracefully: 1, forced: 0 });
  expect(report.requests).toMatchObject({ inFlightAtStart: 1, aborted: 0 });
}

test('one line: a listener delay around the HTTP drain and the WebSocket drain', async () => {
  const { server, wss, port, slowArrived } = await start();
  const terminator = createTerminator({
    server,
    gracefulTimeout: 8_000,
    drain: new DelayedCloseDrain({
      delay: DELAY_MS,
      drain: [new KeepAliveDrain(), new WebSocketDrain({ webSocketServers: wss })],
    }),
  });
  await expectKubernetesShape(terminator, port, slowArrived);
});

test('the platform registers the delay on the container, the service passes its drains: both apply', async () => {
  const { server, wss, port, slowArrived } = await start();
  const platform = createContainer();
  platform.register(TOKENS.drain, { useValue: new DelayedCloseDrain({ delay: DELAY_MS }) });
  const terminator = createTerminator({
    server,
    gracefulTimeout: 8_000,
    container: platform,
    drain: [new KeepAliveDrain(), new WebSocketDrain({ webSocketServers: wss })],
  });
  await expectKubernetesShape(terminator, port, slowArrived);
});
