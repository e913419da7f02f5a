// The fault matrix for HTTP/1.1 over http and https: clients that abort, trickle, half-close,
// never read, or send what the happy path never sends. Each test name states the outcome.
import type * as http from 'node:http';
import * as net from 'node:net';
import { KeepAliveDrain } from '@lastcall/core';
import {
  collect,
  deferred,
  type Http1Kind,
  PATIENT_GRACE_MS,
  parseResponse,
  readUntil,
  SETTLE_BOUND_MS,
  sleep,
  within,
} from '@lastcall/test-kit';
import { Cleanups, expectAllClosed, rawClient, serveHttp1, timedTerminate } from './harness';

const GET = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

describe.each<Http1Kind>(['http', 'https'])('%s: faults', (kind) => {
  const cleanups = new Cleanups();
  afterEach(() => cleanups.run());

  /** A server that counts a request's body, says when the first bytes came, and answers the count. */
  async function uploadServer(): Promise<Awaited<ReturnType<typeof serveHttp1>> & { receiving: Promise<void> }> {
    const receiving = deferred();
    let received = 0;
    const served = await serveHttp1(cleanups, kind, (req, res) => {
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        receiving.resolve();
      });
      req.on('end', () => res.end(`received ${received}`));
    });
    return { ...served, receiving: receiving.promise };
  }

  test('a client that aborts mid-request during the drain: counted aborted, terminate() does not wait for the deadline', async () => {
    const arrived = deferred();
    const { port, terminator } = await serveHttp1(cleanups, kind, () => arrived.resolve());
    const socket = await rawClient(cleanups, kind, port);
    socket.write(GET);
    await within(arrived.promise, 2_000, 'the request');
    const done = timedTerminate(terminator, 5_000);
    await sleep(50);
    socket.destroy();
    const { report, elapsed } = await done;
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 0, aborted: 1 });
    expect(report.connections).toMatchObject({ atStart: 1, closedGracefully: 1, forced: 0 });
    expect(elapsed).toBeLessThan(2_000);
    await expectAllClosed(terminator);
  });

  test('a client that aborts mid-upload during the drain: counted aborted, terminate() does not wait for the deadline', async () => {
    const { port, terminator, receiving } = await uploadServer();
    const socket = await rawClient(cleanups, kind, port);
    socket.write('POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n');
    socket.write(Buffer.alloc(10_000, 0x61));
    await within(receiving, 2_000, 'the first body bytes');
    const done = timedTerminate(terminator, 5_000);
    socket.write(Buffer.alloc(10_000, 0x62));
    await sleep(50);
    socket.destroy();
    const { report, elapsed } = await done;
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 0, aborted: 1 });
    expect(elapsed).toBeLessThan(2_000);
    await expectAllClosed(terminator);
  });

  test('a request body still uploading when terminate() starts is received in full and answered with Connection: close', async () => {
    const { port, terminator, receiving } = await uploadServer();
    const socket = await rawClient(cleanups, kind, port);
    const outcome = collect(socket);
    socket.write('POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 200000\r\n\r\n');
    socket.write(Buffer.alloc(100_000, 0x61));
    await within(receiving, 2_000, 'the first body bytes');
    const done = timedTerminate(terminator, 5_000);
    // Past the idle grace: the upload is not idle and must not be cut by it.
    await sleep(250);
    socket.write(Buffer.alloc(100_000, 0x62));
    const { text, error } = await outcome;
    const reply = parseResponse(text);
    expect(error).toBeUndefined();
    expect(reply.status).toBe(200);
    expect(reply.headers.connection).toBe('close');
    expect(reply.body).toBe('received 200000');
    const { report } = await done;
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 1, aborted: 0 });
    await expectAllClosed(terminator);
  });

  test('slowloris (head trickling one byte every 100 ms) is spared by the idle close and answered with Connection: close once its head is in', async () => {
    const { port, terminator } = await serveHttp1(cleanups, kind, (_req, res) => res.end('slow but served'));
    const socket = await rawClient(cleanups, kind, port);
    const outcome = collect(socket);
    const head = 'GET / HTTP/1.1\r\nHost:a\r\n\r\n';
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < head.length && !socket.destroyed) socket.write(head[sent++] ?? '');
      else clearInterval(trickle);
    }, 100);
    cleanups.add(() => clearInterval(trickle));
    await sleep(350);
    // The head takes 26 ticks (about 2.6 s), more on a loaded machine where intervals fire late:
    // the deadline is far enough that only a drain waiting for it, not for the head, misses it.
    const { report, elapsed } = await timedTerminate(terminator, 15_000);
    const reply = parseResponse((await outcome).text);
    expect(reply.status).toBe(200);
    expect(reply.headers.connection).toBe('close');
    expect(reply.body).toBe('slow but served');
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ receivedDuringDrain: 1, completed: 1, aborted: 0 });
    // The drain waited for the head, not for the 15 s deadline.
    expect(elapsed).toBeLessThan(12_000);
    await expectAllClosed(terminator);
  });

  test('slowloris that never completes its head is forced at the deadline, and terminate() settles on time', async () => {
    const { port, terminator } = await serveHttp1(cleanups, kind, (_req, res) => res.end('never'));
    const socket = await rawClient(cleanups, kind, port);
    const outcome = collect(socket);
    socket.write('GET / HTTP/1.1\r\nX-Slow: ');
    // Bounded: at most 60 bytes (6 s), and it stops when the server closes the socket.
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent++ < 60 && !socket.destroyed) socket.write('a');
      else clearInterval(trickle);
    }, 100);
    cleanups.add(() => clearInterval(trickle));
    await sleep(150);
    const { report, elapsed } = await timedTerminate(terminator, 800);
    expect(report.timedOut).toBe(true);
    expect(report.connections).toMatchObject({ atStart: 1, forced: 1 });
    expect(elapsed).toBeLessThan(800 + SETTLE_BOUND_MS);
    expect((await outcome).text).toBe('');
    await expectAllClosed(terminator);
  });

  test('a half-open client (FIN sent, still reading): Node ends the connection at the FIN; the response is counted aborted, no wait for the deadline', async () => {
    // Node's http server does not allow half-open connections: at the client's FIN it aborts
    // the requests it holds and ends the socket. lastcall must count that and not hang.
    const arrived = deferred();
    const release = deferred();
    const { port, terminator } = await serveHttp1(cleanups, kind, (_req, res) => {
      arrived.resolve();
      void release.promise.then(() => res.end('too late'));
    });
    const socket = await rawClient(cleanups, kind, port);
    const outcome = collect(socket);
    socket.write(GET);
    await within(arrived.promise, 2_000, 'the request');
    const done = timedTerminate(terminator, 5_000);
    socket.end();
    const { text } = await outcome;
    release.resolve();
    const { report, elapsed } = await done;
    expect(text).toBe('');
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 0, aborted: 1 });
    expect(elapsed).toBeLessThan(2_000);
    await expectAllClosed(terminator);
  });

  test('a request in the same packet as the FIN, on a connection idle when terminate() started: counted received and settled once, and no hang', async () => {
    // A long grace: the request must reach the server before the idle close, however loaded
    // the machine is (this test is about the count, not the grace).
    const { port, terminator } = await serveHttp1(cleanups, kind, (_req, res) => res.end('ok'), {
      drain: new KeepAliveDrain({ idleGrace: PATIENT_GRACE_MS }),
    });
    const socket = await rawClient(cleanups, kind, port);
    // One request first, so the connection is an idle keep-alive one when the drain begins.
    const first = readUntil(socket, 'ok', 2_000);
    socket.write(GET);
    await first;
    const outcome = collect(socket);
    const done = timedTerminate(terminator, 5_000);
    // Within the idle grace: the request and the FIN leave in one write.
    socket.end(GET);
    const { report, elapsed } = await done;
    await outcome;
    expect(report.timedOut).toBe(false);
    // Whether Node answers it before it acts on the FIN (this handler answers at once, and it
    // does) is Node's affair; lastcall must see the request and settle it exactly once.
    expect(report.requests.receivedDuringDrain).toBe(1);
    expect(report.requests.completed + report.requests.aborted).toBe(1);
    expect(elapsed).toBeLessThan(2_000);
    await expectAllClosed(terminator);
  });

  test('a response streamed slowly (SSE) past the deadline is forced at the deadline: the client sees it cut, the report counts it aborted', async () => {
    const streaming = deferred();
    const { port, terminator } = await serveHttp1(cleanups, kind, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: tick\n\n');
      const timer = setInterval(() => res.write('data: tick\n\n'), 50);
      res.on('close', () => clearInterval(timer));
      streaming.resolve();
    });
    const socket = await rawClient(cleanups, kind, port);
    const outcome = collect(socket);
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    // In flight when the drain begins: inFlightAtStart and the forced count depend on it.
    await within(streaming.promise, 2_000, 'the stream to start');
    const { report, elapsed } = await timedTerminate(terminator, 500);
    const { text } = await outcome;
    expect(text).toContain('data: tick');
    // Chunked encoding never got its last chunk: the client can tell the stream was cut.
    expect(text.endsWith('0\r\n\r\n')).toBe(false);
    expect(report.timedOut).toBe(true);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 0, aborted: 1 });
    expect(report.connections.forced).toBe(1);
    expect(elapsed).toBeLessThan(500 + SETTLE_BOUND_MS);
    await expectAllClosed(terminator);
  });

  test('a long-poll answered before the deadline completes with Connection: close; one never answered is forced', async () => {
    const answeredArrived = deferred();
    const hungArrived = deferred();
    const { port, terminator } = await serveHttp1(cleanups, kind, (req, res) => {
      // The header was sent before the drain: the response could still get Connection: close.
      if (req.url === '/answered') {
        answeredArrived.resolve();
        setTimeout(() => res.end('event'), 300);
      } else hungArrived.resolve();
    });
    const answered = await rawClient(cleanups, kind, port);
    const hung = await rawClient(cleanups, kind, port);
    const answeredOutcome = collect(answered);
    const hungOutcome = collect(hung);
    answered.write('GET /answered HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    hung.write('GET /hung HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    // Both in flight when the drain begins (inFlightAtStart: 2), whatever the machine's load.
    await within(Promise.all([answeredArrived.promise, hungArrived.promise]), 2_000, 'both long-polls');
    const { report, elapsed } = await timedTerminate(terminator, 1_000);
    const reply = parseResponse((await answeredOutcome).text);
    expect(reply.body).toBe('event');
    expect(reply.headers.connection).toBe('close');
    expect((await hungOutcome).text).toBe('');
    expect(report.timedOut).toBe(true);
    expect(report.requests).toMatchObject({ inFlightAtStart: 2, completed: 1, aborted: 1 });
    expect(report.connections).toMatchObject({ atStart: 2, closedGracefully: 1, forced: 1 });
    expect(elapsed).toBeLessThan(1_000 + SETTLE_BOUND_MS);
    await expectAllClosed(terminator);
  });

  test('a client that never reads (socket buffers full) is still ended by the force at the deadline', async () => {
    const chunk = Buffer.alloc(1 << 20, 0x78);
    let writes = 0;
    const blocked = deferred();
    const { port, terminator } = await serveHttp1(cleanups, kind, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      // Write until the socket pushes back, then keep one write pending for ever.
      const pump = (): void => {
        while (writes < 256 && res.write(chunk)) writes++;
        blocked.resolve();
      };
      pump();
    });
    const socket = await rawClient(cleanups, kind, port);
    socket.pause();
    socket.write('GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await within(blocked.promise, 2_000, 'the response to fill the buffers');
    await sleep(100);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const { report, elapsed } = await timedTerminate(terminator, 500);
    expect(writes).toBeLessThan(256);
    expect(report.timedOut).toBe(true);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 0, aborted: 1 });
    expect(report.connections.forced).toBe(1);
    expect(elapsed).toBeLessThan(500 + SETTLE_BOUND_MS);
    await expectAllClosed(terminator);
    // The paused client learns of it once it reads again.
    socket.resume();
    await within(closed, 2_000, 'the client to see the close');
  });

  test('a large response already ended but still flushing when terminate() starts is delivered in full', async () => {
    // end() was called, so Node calls the response `finished`, but its bytes are still queued
    // behind a client that reads slowly: closing "idle" connections must not cut it.
    const size = 8 << 20;
    const ended = deferred();
    const { port, terminator } = await serveHttp1(cleanups, kind, (_req, res) => {
      res.end(Buffer.alloc(size, 0x61));
      ended.resolve();
    });
    const socket = await rawClient(cleanups, kind, port);
    socket.pause();
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(GET);
    await within(ended.promise, 2_000, 'the handler to end the response');
    await sleep(50);
    const done = timedTerminate(terminator, 5_000);
    await sleep(200);
    socket.resume();
    await within(closed, 6_000, 'the client to close');
    const { report } = await done;
    // The head is a few hundred bytes; the body must be there in full.
    expect(bytes).toBeGreaterThan(size);
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 1, aborted: 0 });
    await expectAllClosed(terminator);
  });

  /** Sends a 5-byte POST's head with `Expect: 100-continue`; resolves once the server's 100 Continue arrives. */
  async function expectContinue(socket: Awaited<ReturnType<typeof rawClient>>): Promise<void> {
    const continued = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer): void => {
        if (chunk.toString('latin1').startsWith('HTTP/1.1 100')) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
    });
    socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    await within(continued, 2_000, '100 Continue');
  }

  test('Expect: 100-continue (no checkContinue listener): the body sent after 100 Continue is received and answered with Connection: close', async () => {
    let received = 0;
    const { port, terminator } = await serveHttp1(cleanups, kind, (req, res) => {
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      req.on('end', () => res.end(`received ${received}`));
    });
    const socket = await rawClient(cleanups, kind, port);
    await expectContinue(socket);
    const outcome = collect(socket);
    const done = timedTerminate(terminator, 5_000);
    await sleep(200);
    socket.write('hello');
    const reply = parseResponse((await outcome).text);
    expect(reply.status).toBe(200);
    expect(reply.headers.connection).toBe('close');
    expect(reply.body).toBe('received 5');
    const { report } = await done;
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 1, aborted: 0 });
    await expectAllClosed(terminator);
  });

  test('Expect: 100-continue with a checkContinue listener: the request is tracked, answered with Connection: close, and the connection closes without waiting for the deadline', async () => {
    let received = 0;
    const { server, port, terminator } = await serveHttp1(cleanups, kind, () => undefined);
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeContinue();
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      req.on('end', () => res.end(`received ${received}`));
    });
    const socket = await rawClient(cleanups, kind, port);
    await expectContinue(socket);
    const outcome = collect(socket);
    const done = timedTerminate(terminator, 3_000);
    await sleep(200);
    socket.write('hello');
    const reply = parseResponse((await outcome).text);
    expect(reply.body).toBe('received 5');
    expect(reply.headers.connection).toBe('close');
    const { report, elapsed } = await done;
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 1, aborted: 0 });
    expect(elapsed).toBeLessThan(2_000);
    await expectAllClosed(terminator);
  });

  test('a CONNECT tunnel is left open until the deadline, then forced and counted among upgraded connections', async () => {
    // The tunnel's far end: a local echo server.
    const echo = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    cleanups.add(() => new Promise((resolve) => echo.close(resolve)));
    const echoPort = (echo.address() as net.AddressInfo).port;
    const { server, port, terminator } = await serveHttp1(cleanups, kind, (_req, res) => res.end('plain'));
    server.on('connect', (_req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      const upstream = net.connect(echoPort, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      const end = (): void => {
        upstream.destroy();
        client.destroy();
      };
      upstream.on('error', end);
      client.on('error', end);
      client.on('close', end);
      cleanups.add(end);
    });
    const socket = await rawClient(cleanups, kind, port);
    const established = deferred();
    const echoed = new Promise<void>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('200 Connection Established')) established.resolve();
        if (text.includes('ping')) resolve();
      });
    });
    socket.write(`CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\nHost: 127.0.0.1:${echoPort}\r\n\r\n`);
    // As a real client does: send through the tunnel once the proxy said it is up.
    await within(established.promise, 2_000, 'the tunnel to be established');
    socket.write('ping');
    await within(echoed, 2_000, 'the tunnel to echo');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const { report, elapsed } = await timedTerminate(terminator, 400);
    expect(report.timedOut).toBe(true);
    expect(report.upgraded).toMatchObject({ atStart: 1, forced: 1, closedGracefully: 0 });
    expect(report.kindsAtStart.upgraded).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(400 + SETTLE_BOUND_MS);
    await within(closed, 2_000, 'the tunnel to close');
    await expectAllClosed(terminator);
  });

  test('terminate() called from inside a request handler: that response is delivered with Connection: close and terminate() resolves right after', async () => {
    const called = deferred<{ pending: ReturnType<typeof timedTerminate>; stateInHandler: string }>();
    const { port, terminator } = await serveHttp1(cleanups, kind, (_req, res) => {
      const pending = timedTerminate(terminator, 5_000);
      // Read at once: the drain must have begun within the call, before the handler goes on.
      called.resolve({ pending, stateInHandler: terminator.state });
      setTimeout(() => res.end('bye'), 50);
    });
    const socket = await rawClient(cleanups, kind, port);
    const outcome = collect(socket);
    socket.write(GET);
    const { pending, stateInHandler } = await within(called.promise, 2_000, 'the handler to call terminate()');
    expect(stateInHandler).toBe('draining');
    const reply = parseResponse((await outcome).text);
    expect(reply.status).toBe(200);
    expect(reply.headers.connection).toBe('close');
    expect(reply.body).toBe('bye');
    const { report, elapsed } = await pending;
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 1, aborted: 0 });
    expect(elapsed).toBeLessThan(1_000);
    await expectAllClosed(terminator);
  });
});
