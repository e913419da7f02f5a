// The fault matrix for HTTP/2 (h2c and h2 over TLS): streams cancelled, uploads in progress,
// slow streams past the deadline, a client that never reads, terminate() from a handler.
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createTerminator, type Terminator } from '@lastcall/core';
import { deferred, SETTLE_BOUND_MS, sleep, tlsMaterial, within } from '@lastcall/test-kit';
import { Cleanups, expectAllClosed, timedTerminate } from './harness';

type Kind = 'h2c' | 'h2';
type StreamHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

describe.each<Kind>(['h2c', 'h2'])('%s: faults', (kind) => {
  const cleanups = new Cleanups();
  afterEach(() => cleanups.run());

  async function serve(
    onStream: StreamHandler,
    gracefulTimeout = 5_000,
  ): Promise<{ terminator: Terminator; connect: () => Promise<http2.ClientHttp2Session> }> {
    const server = kind === 'h2c' ? http2.createServer() : http2.createSecureServer(tlsMaterial);
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
    });
    server.on('stream', (stream, headers) => {
      stream.on('error', () => undefined);
      onStream(stream, headers);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    cleanups.add(
      () =>
        new Promise<void>((resolve) => {
          for (const session of sessions) session.destroy();
          if (server.listening) server.close(() => resolve());
          else resolve();
        }),
    );
    const terminator = createTerminator({ server, gracefulTimeout });
    cleanups.add(() => (terminator.state === 'running' ? terminator.dispose() : undefined));
    const connect = async (): Promise<http2.ClientHttp2Session> => {
      const session = http2.connect(`${kind === 'h2c' ? 'http' : 'https'}://127.0.0.1:${port}`, {
        rejectUnauthorized: false,
      });
      session.on('error', () => undefined);
      cleanups.add(() => session.destroy());
      await within(
        new Promise<void>((resolve, reject) => {
          session.once('connect', () => resolve());
          session.once('error', reject);
        }),
        2_000,
        'the session',
      );
      return session;
    };
    return { terminator, connect };
  }

  /** Everything a client stream receives until it closes, and its reset code. */
  function read(stream: http2.ClientHttp2Stream): Promise<{ body: string; rstCode: number }> {
    return within(
      new Promise((resolve) => {
        let body = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          body += chunk;
        });
        stream.on('error', () => undefined);
        stream.on('close', () => resolve({ body, rstCode: stream.rstCode ?? -1 }));
      }),
      10_000,
      'the client stream to close',
    );
  }

  test('a stream the client cancels during the drain is counted aborted and terminate() does not wait for the deadline', async () => {
    const arrived = deferred();
    const { terminator, connect } = await serve((stream) => {
      stream.respond({ ':status': 200 });
      stream.write('part');
      arrived.resolve();
    });
    const session = await connect();
    const stream = session.request({ ':path': '/' });
    stream.on('error', () => undefined);
    await within(arrived.promise, 2_000, 'the stream');
    const done = timedTerminate(terminator, 5_000);
    await sleep(50);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    const { report, elapsed } = await done;
    expect(report.timedOut).toBe(false);
    expect(report.streams).toMatchObject({ inFlightAtStart: 1, completed: 0, aborted: 1 });
    expect(elapsed).toBeLessThan(2_000);
    await expectAllClosed(terminator);
  });

  test('a request body still uploading when terminate() starts is received in full and answered', async () => {
    const receiving = deferred();
    const { terminator, connect } = await serve((stream) => {
      let received = 0;
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        receiving.resolve();
      });
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(`received ${received}`);
      });
    });
    const session = await connect();
    const stream = session.request({ ':path': '/upload', ':method': 'POST' });
    const reply = read(stream);
    stream.write(Buffer.alloc(32_000, 0x61));
    await within(receiving.promise, 2_000, 'the first body bytes');
    const done = timedTerminate(terminator, 5_000);
    await sleep(200);
    stream.end(Buffer.alloc(32_000, 0x62));
    const { body, rstCode } = await reply;
    expect(body).toBe('received 64000');
    expect(rstCode).toBe(0);
    const { report } = await done;
    expect(report.timedOut).toBe(false);
    expect(report.streams).toMatchObject({ inFlightAtStart: 1, completed: 1, aborted: 0 });
    await expectAllClosed(terminator);
  });

  test('a slow stream (SSE) past the deadline is forced at the deadline: cut on the client, counted aborted and its session forced', async () => {
    const streaming = deferred();
    const { terminator, connect } = await serve((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
      stream.write('data: tick\n\n');
      const timer = setInterval(() => stream.write('data: tick\n\n'), 50);
      stream.on('close', () => clearInterval(timer));
      streaming.resolve();
    });
    const session = await connect();
    const reply = read(session.request({ ':path': '/events' }));
    // In flight when the drain begins: inFlightAtStart and the forced session depend on it.
    await within(streaming.promise, 2_000, 'the stream to start');
    const { report, elapsed } = await timedTerminate(terminator, 400);
    const { body, rstCode } = await reply;
    expect(body).toContain('data: tick');
    expect(rstCode).not.toBe(0);
    expect(report.timedOut).toBe(true);
    expect(report.streams).toMatchObject({ inFlightAtStart: 1, completed: 0, aborted: 1 });
    expect(report.sessions.forced).toBe(1);
    expect(elapsed).toBeLessThan(400 + SETTLE_BOUND_MS);
    await expectAllClosed(terminator);
  });

  test('a client that never reads (flow-control window full) is still ended by the force at the deadline', async () => {
    const blocked = deferred();
    const { terminator, connect } = await serve((stream) => {
      stream.respond({ ':status': 200 });
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      let writes = 0;
      // Writes until the client's window and the socket push back.
      while (writes < 512 && stream.write(chunk)) writes++;
      blocked.resolve();
    });
    const session = await connect();
    const stream = session.request({ ':path': '/big' });
    stream.on('error', () => undefined);
    stream.pause();
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    await within(blocked.promise, 2_000, 'the stream to fill the window');
    await sleep(100);
    const { report, elapsed } = await timedTerminate(terminator, 400);
    expect(report.timedOut).toBe(true);
    expect(report.streams).toMatchObject({ inFlightAtStart: 1, aborted: 1 });
    expect(elapsed).toBeLessThan(400 + SETTLE_BOUND_MS);
    await expectAllClosed(terminator);
    await within(closed, 2_000, 'the client stream to see the end');
  });

  test('a response the server ended but the client never read (still buffered at the deadline) is forced and counted aborted, not completed', async () => {
    const ended = deferred();
    const { terminator, connect } = await serve((stream) => {
      stream.respond({ ':status': 200 });
      stream.end(Buffer.alloc(4 << 20, 0x78));
      ended.resolve();
    });
    const session = await connect();
    const stream = session.request({ ':path': '/big' });
    stream.on('error', () => undefined);
    stream.pause();
    await within(ended.promise, 2_000, 'the handler to end the stream');
    await sleep(100);
    const { report } = await timedTerminate(terminator, 300);
    expect(report.timedOut).toBe(true);
    expect(report.streams).toMatchObject({ inFlightAtStart: 1, completed: 0, aborted: 1 });
    await expectAllClosed(terminator);
  });

  test('terminate() called from inside a stream handler: that stream completes and terminate() resolves right after', async () => {
    const called = deferred<{ pending: ReturnType<typeof timedTerminate>; stateInHandler: string }>();
    const { terminator, connect } = await serve((stream) => {
      const pending = timedTerminate(terminator, 5_000);
      // Read at once: the drain must have begun within the call, before the handler goes on.
      called.resolve({ pending, stateInHandler: terminator.state });
      setTimeout(() => {
        stream.respond({ ':status': 200 });
        stream.end('bye');
      }, 50);
    });
    const session = await connect();
    const reply = read(session.request({ ':path': '/' }));
    const { pending, stateInHandler } = await within(called.promise, 2_000, 'the handler to call terminate()');
    expect(stateInHandler).toBe('draining');
    const { body, rstCode } = await reply;
    expect(body).toBe('bye');
    expect(rstCode).toBe(0);
    const { report, elapsed } = await pending;
    expect(report.timedOut).toBe(false);
    expect(report.streams).toMatchObject({ inFlightAtStart: 1, completed: 1, aborted: 0 });
    expect(elapsed).toBeLessThan(1_000);
    await expectAllClosed(terminator);
  });
});
