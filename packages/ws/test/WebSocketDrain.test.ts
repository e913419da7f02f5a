// WebSocketDrain on real sockets: real http servers with `ws` servers ({ server } and noServer)
// and real `ws` clients on 127.0.0.1.
import * as http from 'node:http';
import * as net from 'node:net';
import { createTerminator, isInvalidOptionError, KeepAliveDrain, systemClock, type Terminator } from '@lastcall/core';
import { countingClock, sleep, within } from '@lastcall/test-kit';
import { WebSocketDrain } from '@lastcall/ws';
import { WebSocket, WebSocketServer } from 'ws';

/** The documented defaults (docs/websocket.md), no longer exported. */
const DEFAULT_CLOSE_CODE = 1001;
const DEFAULT_CLOSE_REASON = 'server shutting down';
/** KeepAliveDrain's default idle grace (milliseconds), read from a default drain. */
const DEFAULT_IDLE_GRACE_MS = new KeepAliveDrain().idleGrace;

interface Closed {
  code: number;
  reason: string;
  at: number;
}

type Mode = 'server' | 'noServer';

describe('WebSocketDrain', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** An http server with a `ws` server on it, attached as `{ server }` or through `handleUpgrade`. */
  async function start(
    mode: Mode,
    handler: http.RequestListener = (_req, res) => res.end('plain'),
  ): Promise<{ server: http.Server; wss: WebSocketServer; port: number }> {
    const server = http.createServer(handler);
    server.keepAliveTimeout = 60_000;
    let wss: WebSocketServer;
    if (mode === 'server') {
      wss = new WebSocketServer({ server });
    } else {
      wss = new WebSocketServer({ noServer: true });
      server.on('upgrade', (req, socket, head) => {
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      });
    }
    // An echo, so a test can tell the protocol still works.
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return { server, wss, port: (server.address() as net.AddressInfo).port };
  }

  function terminatorFor(server: http.Server, options: Parameters<typeof createTerminator>[0]): Terminator {
    const terminator = createTerminator({ ...options, server });
    cleanups.push(() => (terminator.state === 'running' ? terminator.dispose() : undefined));
    return terminator;
  }

  /** A real `ws` client, open, with its close event recorded. */
  async function client(port: number): Promise<{ ws: WebSocket; closed: Promise<Closed> }> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    cleanups.push(() => ws.terminate());
    ws.on('error', () => undefined);
    const closed = new Promise<Closed>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), at: performance.now() })),
    );
    await within(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }),
      5_000,
      'the WebSocket to open',
    );
    return { ws, closed };
  }

  /**
   * A raw keep-alive HTTP/1.1 connection to the default handler ('plain') that has had one full
   * response and is now idle, with the server's own socket for it (matched by port).
   */
  async function idleKeepAlive(
    server: http.Server,
    port: number,
  ): Promise<{
    serverSide: net.Socket;
    closed: Promise<void>;
    /** Sends one more request and resolves with everything read once its response is in. */
    request: (path: string) => Promise<string>;
  }> {
    const serverSockets = new Map<number, net.Socket>();
    const onConnection = (socket: net.Socket): void => {
      if (socket.remotePort !== undefined) serverSockets.set(socket.remotePort, socket);
    };
    server.on('connection', onConnection);
    cleanups.push(() => server.off('connection', onConnection));
    const raw = net.connect(port, '127.0.0.1');
    cleanups.push(() => raw.destroy());
    raw.on('error', () => undefined);
    let received = '';
    raw.setEncoding('latin1');
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    await within(
      new Promise<void>((resolve) => raw.once('connect', () => resolve())),
      5_000,
      'the keep-alive connection to connect',
    );
    let sent = 0;
    const request = (path: string): Promise<string> => {
      sent++;
      const expected = sent;
      const complete = new Promise<string>((resolve, reject) => {
        const onData = (chunk: string): void => {
          received += chunk;
          if (received.split('\r\n\r\nplain').length - 1 < expected) return;
          raw.off('data', onData);
          resolve(received);
        };
        raw.on('data', onData);
        raw.once('close', () => reject(new Error(`the connection closed before response ${expected}: ${received}`)));
      });
      raw.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      return within(complete, 3_000, `response ${expected} on the keep-alive connection`);
    };
    await request('/first');
    const serverSide = serverSockets.get(raw.localPort ?? -1);
    if (serverSide === undefined) throw new Error('the server never saw the keep-alive connection');
    // The response's 'finish' (which makes the connection idle) comes on a tick after its write,
    // before the client's read of it; one more turn and every listener has seen it.
    await new Promise((resolve) => setImmediate(resolve));
    return { serverSide, closed, request };
  }

  async function echo(ws: WebSocket, text: string): Promise<string> {
    const reply = new Promise<string>((resolve) => ws.once('message', (data) => resolve(data.toString())));
    ws.send(text);
    return within(reply, 1_500, 'the echo');
  }

  describe.each<Mode>(['server', 'noServer'])('ws in %s mode', (mode) => {
    test('an open client gets close 1001 with the configured reason and terminate() resolves promptly', async () => {
      const { server, wss, port } = await start(mode);
      const drain = [
        new KeepAliveDrain(),
        new WebSocketDrain({ webSocketServers: wss, closeReason: 'deploying, come back soon' }),
      ];
      // A deadline far above the bound below: resolving promptly means the close handshake ended
      // it, not the deadline.
      const terminator = terminatorFor(server, { gracefulTimeout: 10_000, drain });
      const { ws, closed } = await client(port);
      expect(await echo(ws, 'hello')).toBe('hello');

      const started = performance.now();
      const report = await within(terminator.terminate(), 8_000, 'terminate() to resolve');
      const resolvedAt = performance.now();
      const close = await closed;
      // The client's close event and terminate()'s resolution race (either may come first): say
      // which came first rather than print a negative delay.
      const gap = resolvedAt - close.at;
      console.log(
        `ws ${mode}: terminate() resolved ${(resolvedAt - started).toFixed(1)} ms after it was called, ` +
          (gap >= 0
            ? `${gap.toFixed(1)} ms after the client saw its close`
            : `${(-gap).toFixed(1)} ms before the client saw its close`),
      );

      expect(close).toMatchObject({ code: 1001, reason: 'deploying, come back soon' });
      expect(report.timedOut).toBe(false);
      // Typically a few ms; 2 s leaves room for a loaded CI machine and is still 5x under the deadline.
      expect(resolvedAt - started).toBeLessThan(2_000);
      expect(report.upgraded).toEqual({ atStart: 1, upgradedDuringDrain: 0, closedGracefully: 1, forced: 0 });
      expect(report.connections).toMatchObject({ atStart: 1, closedGracefully: 1, forced: 0 });
    });

    test('a client that never answers the close is forced at the deadline and counted', async () => {
      const { server, wss, port } = await start(mode);
      // The check at 200 ms must come before the force: a deadline ten times that leaves room
      // for a loaded machine's late timers.
      const terminator = terminatorFor(server, {
        gracefulTimeout: 2_000,
        // At once (no spread): the check at 200 ms needs the close frame sent.
        drain: [new KeepAliveDrain(), new WebSocketDrain({ webSocketServers: wss, spread: 0 })],
      });
      const { ws, closed } = await client(port);
      // A paused client does not read the close frame, so it never sends its own.
      ws.pause();

      const started = performance.now();
      const done = terminator.terminate();
      await sleep(200);
      expect([...wss.clients].map((c) => c.readyState)).toEqual([WebSocket.CLOSING]);
      const report = await within(done, 6_000, 'terminate() to resolve');
      const elapsed = performance.now() - started;
      ws.resume();
      const close = await within(closed, 2_000, 'the client to see its close');

      expect(report.timedOut).toBe(true);
      expect(elapsed).toBeGreaterThanOrEqual(1_990);
      // The close frame was sent before the TCP connection was cut; a paused client may read
      // it afterwards (1001) or only see the connection drop (1006).
      expect([1001, 1006]).toContain(close.code);
      expect(report.upgraded).toEqual({ atStart: 1, upgradedDuringDrain: 0, closedGracefully: 0, forced: 1 });
      expect(report.connections).toMatchObject({ forced: 1 });
    });

    test('without WebSocketDrain the core leaves the client open until the deadline, then forces it (1006)', async () => {
      const { server, port } = await start(mode);
      // The echo at 200 ms (bounded by 1 s) must come before the force at the deadline.
      const terminator = terminatorFor(server, { gracefulTimeout: 2_000 });
      const { ws, closed } = await client(port);

      const done = terminator.terminate();
      await sleep(200);
      expect(await echo(ws, 'still open')).toBe('still open');
      expect(terminator.state).toBe('draining');
      const report = await within(done, 6_000, 'terminate() to resolve');
      const close = await within(closed, 2_000, 'the client to see its close');

      expect(close.code).toBe(1006);
      expect(report.timedOut).toBe(true);
      expect(report.upgraded).toEqual({ atStart: 1, upgradedDuringDrain: 0, closedGracefully: 0, forced: 1 });
      expect(report.kindsAtStart.upgraded).toBe(1);
    });
  });

  describe('with the close frames spread over a window, terminate() follows the last close, not the window', () => {
    /**
     * The server side's WebSocket `close` times, and a promise for all `count` of them. Waited
     * for before reading: a socket's `close` comes a loop turn after Node destroyed it, while
     * terminate() resolves on the destruction (the benchmark once read them too early, issue 16).
     */
    function serverCloses(wss: WebSocketServer, count: number): { at: number[]; all: Promise<void> } {
      const at: number[] = [];
      const all = new Promise<void>((resolve) => {
        wss.on('connection', (ws) =>
          ws.on('close', () => {
            at.push(performance.now());
            if (at.length === count) resolve();
          }),
        );
      });
      return { at, all };
    }

    test('8 clients closed by the drain over 600 ms: it resolves within 200 ms of the last close', async () => {
      const { server, wss, port } = await start('server');
      const closes = serverCloses(wss, 8);
      // A deadline far past the window (600 ms, under half of it): only the closes can end it early.
      const terminator = terminatorFor(server, {
        gracefulTimeout: 10_000,
        drain: [new KeepAliveDrain(), new WebSocketDrain({ webSocketServers: wss, spread: 600 })],
      });
      const clients = await Promise.all(Array.from({ length: 8 }, () => client(port)));

      const started = performance.now();
      const report = await within(terminator.terminate(), 8_000, 'terminate() to resolve');
      const resolvedAt = performance.now();
      await within(closes.all, 2_000, 'every server-side close');
      const codes = await Promise.all(clients.map(async ({ closed }) => (await closed).code));
      const first = Math.min(...closes.at);
      const last = Math.max(...closes.at);
      const gap = resolvedAt - last;
      console.log(
        `spread 600 ms, 8 clients: closes from ${(first - started).toFixed(1)} to ${(last - started).toFixed(1)} ms, ` +
          `terminate() resolved ${gap >= 0 ? `${gap.toFixed(1)} ms after` : `${(-gap).toFixed(1)} ms before`} the last close's event`,
      );

      expect(codes).toEqual(Array(8).fill(1001));
      expect(report.timedOut).toBe(false);
      expect(report.upgraded).toMatchObject({ atStart: 8, closedGracefully: 8, forced: 0 });
      // The closes were spread (one per 75 ms slice; nominally 450 ms or more from first to last).
      expect(last - first).toBeGreaterThan(150);
      // Typically under 2 ms either way; 200 ms leaves room for a loaded machine.
      expect(gap).toBeLessThan(200);
    });

    test('clients that leave on their own cut a 5 s window short, and no timer is left armed', async () => {
      const { server, wss, port } = await start('server');
      const closes = serverCloses(wss, 4);
      const clock = countingClock(systemClock);
      const terminator = terminatorFor(server, {
        gracefulTimeout: 20_000,
        clock,
        drain: [new KeepAliveDrain(), new WebSocketDrain({ webSocketServers: wss, spread: 5_000 })],
      });
      const clients = await Promise.all(Array.from({ length: 4 }, () => client(port)));

      const started = performance.now();
      const done = terminator.terminate();
      // Each client closes first (1000); the drain's own close frames are not due yet.
      for (const { ws } of clients) ws.close(1000, 'leaving');
      const report = await within(done, 8_000, 'terminate() to resolve');
      const resolvedAt = performance.now();
      await within(closes.all, 2_000, 'every server-side close');
      const last = Math.max(...closes.at);
      console.log(
        `spread 5000 ms, 4 clients leaving on their own: terminate() resolved after ${(resolvedAt - started).toFixed(1)} ms`,
      );

      expect(report.timedOut).toBe(false);
      expect(report.upgraded).toMatchObject({ atStart: 4, closedGracefully: 4, forced: 0 });
      expect(resolvedAt - last).toBeLessThan(200);
      // Far below the window: neither the schedule nor the deadline held it.
      expect(resolvedAt - started).toBeLessThan(2_500);
      // The schedule's timer (for the closes never made) and the deadline's are both cleared.
      expect(clock.live).toBe(0);
    });
  });

  test('HTTP traffic drains as usual: an in-flight response gets Connection: close and its full body', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived: () => void = () => undefined;
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const { server, wss, port } = await start('server', (_req, res) => {
      arrived();
      void released.then(() => res.end('full body'));
    });
    const terminator = terminatorFor(server, {
      gracefulTimeout: 5_000,
      drain: [new KeepAliveDrain(), new WebSocketDrain({ webSocketServers: [wss] })],
    });
    const { closed } = await client(port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const reply = new Promise<{ connection: string | undefined; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ connection: res.headers.connection, body }));
        })
        .on('error', reject);
    });
    await within(arrival, 5_000, 'the request to arrive');

    const done = terminator.terminate();
    expect(await within(closed, 3_000, 'the WebSocket to close')).toMatchObject({
      code: DEFAULT_CLOSE_CODE,
      reason: DEFAULT_CLOSE_REASON,
    });
    expect(terminator.state).toBe('draining');
    release();
    expect(await within(reply, 3_000, 'the HTTP response')).toEqual({ connection: 'close', body: 'full body' });
    const report = await within(done, 4_000, 'terminate() to resolve');
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 1 });
    expect(report.upgraded).toMatchObject({ atStart: 1, closedGracefully: 1 });
  });

  test('a WebSocket upgraded while draining (on a connection opened before) is closed at once with 1001', async () => {
    const { server, wss, port } = await start('server');
    // The close must come from the drain, well before the deadline (timedOut is checked).
    const terminator = terminatorFor(server, {
      gracefulTimeout: 5_000,
      drain: [new KeepAliveDrain(), new WebSocketDrain({ webSocketServers: wss })],
    });
    const raw = net.connect(port, '127.0.0.1');
    cleanups.push(() => raw.destroy());
    await within(
      new Promise<void>((resolve) => raw.once('connect', () => resolve())),
      5_000,
      'the raw socket to connect',
    );
    let received = Buffer.alloc(0);
    raw.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // This client answers a close frame (0x88) with its own, masked as a client must.
      const head = received.indexOf('\r\n\r\n');
      if (head >= 0 && received[head + 4] === 0x88) raw.end(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
    });
    const rawClosed = new Promise<void>((resolve) => raw.on('close', () => resolve()));

    const done = terminator.terminate();
    raw.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    await within(rawClosed, 4_000, 'the upgraded socket to close');
    const report = await within(done, 6_000, 'terminate() to resolve');

    const head = received.indexOf('\r\n\r\n');
    expect(received.subarray(0, head).toString()).toMatch(/^HTTP\/1\.1 101 /);
    const frame = received.subarray(head + 4);
    expect(frame[0]).toBe(0x88); // FIN + close
    expect(frame.readUInt16BE(2)).toBe(1001);
    expect(frame.subarray(4, 4 + (frame[1] ?? 0) - 2).toString()).toBe(DEFAULT_CLOSE_REASON);
    expect(report.timedOut).toBe(false);
    expect(report.upgraded).toMatchObject({ atStart: 0, upgradedDuringDrain: 1, closedGracefully: 1, forced: 0 });
  });

  test('it is a participant, not an HTTP drain, and its close code and reason default to 1001 and the documented reason', async () => {
    const { wss } = await start('noServer');
    const drain = new WebSocketDrain({ webSocketServers: wss });
    expect(drain).not.toBeInstanceOf(KeepAliveDrain);
    expect(drain.closeCode).toBe(1001);
    expect(drain.closeReason).toBe(DEFAULT_CLOSE_REASON);
  });

  test('combined with KeepAliveDrain({ idleGrace: 0 }): an idle keep-alive connection on the same server closes inside terminate() itself', async () => {
    const { server, wss, port } = await start('server');
    const terminator = terminatorFor(server, {
      gracefulTimeout: 5_000,
      drain: [new KeepAliveDrain({ idleGrace: 0 }), new WebSocketDrain({ webSocketServers: wss })],
    });
    const { closed: wsClosed } = await client(port);
    const idle = await idleKeepAlive(server, port);
    expect(idle.serverSide.destroyed).toBe(false);

    const done = terminator.terminate();
    // begin() runs synchronously inside terminate(); with no grace it closes idle connections
    // there and then. With the default grace (100 ms) the connection would still be open here.
    expect(idle.serverSide.destroyed).toBe(true);
    await within(idle.closed, 2_000, 'the client to see the idle connection close');
    expect(await within(wsClosed, 3_000, 'the WebSocket to close')).toMatchObject({ code: 1001 });
    const report = await within(done, 4_000, 'terminate() to resolve');
    expect(report.timedOut).toBe(false);
  });

  test('combined with KeepAliveDrain({ idleGrace: 2000 }): a grace longer than the default keeps an idle keep-alive connection open, and a request on it is served with Connection: close', async () => {
    const { server, wss, port } = await start('server');
    const terminator = terminatorFor(server, {
      gracefulTimeout: 8_000,
      drain: [new KeepAliveDrain({ idleGrace: 2_000 }), new WebSocketDrain({ webSocketServers: wss })],
    });
    const { closed: wsClosed } = await client(port);
    const idle = await idleKeepAlive(server, port);

    const done = terminator.terminate();
    expect(idle.serverSide.destroyed).toBe(false);
    // Past the default grace: had the option been ignored, its timer (set inside terminate(),
    // shorter than this sleep) would have fired first and closed the connection, however late
    // a loaded machine runs both.
    await sleep(3 * DEFAULT_IDLE_GRACE_MS);
    expect(idle.serverSide.destroyed).toBe(false);
    const text = await idle.request('/during-drain');
    const second = text.slice(text.lastIndexOf('HTTP/1.1 '));
    expect(second).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/\r\nConnection: close\r\n/i);
    // Node ends the connection after a `Connection: close` response.
    await within(idle.closed, 2_000, 'the connection to close after its Connection: close response');
    expect(await within(wsClosed, 3_000, 'the WebSocket to close')).toMatchObject({ code: 1001 });
    const report = await within(done, 10_000, 'terminate() to resolve');
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ receivedDuringDrain: 1, completed: 1, aborted: 0 });
  });

  describe('bad options throw at construction, naming the option and the value', () => {
    const wss = new WebSocketServer({ noServer: true });
    afterAll(() => wss.close());
    const cases: Array<[string, () => unknown, typeof TypeError | typeof RangeError, RegExp]> = [
      ['no options', () => new WebSocketDrain(undefined as never), TypeError, /"options".*undefined/],
      ['no servers', () => new WebSocketDrain({} as never), TypeError, /"webSocketServers".*undefined/],
      ['an empty list', () => new WebSocketDrain({ webSocketServers: [] }), RangeError, /"webSocketServers".*\[\]/],
      [
        'an http server instead',
        () => new WebSocketDrain({ webSocketServers: [{} as never] }),
        TypeError,
        /"webSocketServers\[0\]".*\{\}/,
      ],
      [
        'clientTracking off',
        () => new WebSocketDrain({ webSocketServers: new WebSocketServer({ noServer: true, clientTracking: false }) }),
        TypeError,
        /"webSocketServers.clients".*clientTracking.*undefined/,
      ],
      [
        'a close code out of range',
        () => new WebSocketDrain({ webSocketServers: wss, closeCode: 1006 }),
        RangeError,
        /"closeCode".*1006/,
      ],
      [
        'a close code that is not a number',
        () => new WebSocketDrain({ webSocketServers: wss, closeCode: '1001' as never }),
        TypeError,
        /"closeCode".*"1001" \(string\)/,
      ],
      [
        'a reason too long',
        () => new WebSocketDrain({ webSocketServers: wss, closeReason: 'é'.repeat(62) }),
        RangeError,
        /"closeReason".*123 bytes.*it has 124/,
      ],
      [
        'a reason that is not a string',
        () => new WebSocketDrain({ webSocketServers: wss, closeReason: 42 as never }),
        TypeError,
        /"closeReason".*42 \(number\)/,
      ],
      [
        'an option of the HTTP drain (0.1 took idleGraceMs here; 0.2 is a participant)',
        () => new WebSocketDrain({ webSocketServers: wss, idleGraceMs: 0 } as never),
        TypeError,
        /"idleGraceMs" must be a known option \(one of webSocketServers, closeCode, closeReason, spread\), received 0/,
      ],
    ];
    test.each(cases)('%s', (_name, make, kind, message) => {
      let thrown: unknown;
      try {
        make();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(kind);
      expect(isInvalidOptionError(thrown)).toBe(true);
      expect((thrown as Error).message).toMatch(message);
    });
  });
});
