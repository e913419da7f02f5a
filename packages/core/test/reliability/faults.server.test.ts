// The fault matrix, server side: terminate() at odd moments of a server's life, a server that
// emits `error`, and strategies that throw, reject or never settle (the cases
// strategies.test.ts does not already cover: a drain that throws in begin(), a force that
// rejects, a begin() that never settles).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createTerminator,
  type DrainStrategy,
  type ForceStrategy,
  isStrategyError,
  KeepAliveDrain,
  type ShutdownContext,
} from '@lastcall/core';
import {
  closeQuietly,
  collect,
  deferred,
  listenerCounts,
  neverAnswers,
  openConnections,
  PATIENT_GRACE_MS,
  parseResponse,
  SETTLE_BOUND_MS,
  sleep,
  startHttp1,
  within,
} from '@lastcall/test-kit';
import { FORCE_SETTLE_TIMEOUT_MS } from '../../src/options.js';
import { get, keepAliveAgent } from '../helpers/clients';
import { Cleanups, expectAllClosed, rawClient, serveHttp1, timedTerminate } from './harness';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

function bareServer(handler: http.RequestListener = (_req, res) => res.end('ok')): http.Server {
  const server = http.createServer(handler);
  cleanups.add(() => closeQuietly(server));
  return server;
}

/**
 * A request the handler never answers; resolves once the handler has it. Not sooner: a
 * connection that has not sent a byte is closed at once by the drain, and no force would run.
 */
async function hungRequest(port: number, arrived: Promise<void>): Promise<{ outcome: Promise<string> }> {
  const socket = await rawClient(cleanups, 'http', port);
  const outcome = collect(socket).then(({ text, error }) => error ?? (text === '' ? 'closed' : 'answered'));
  socket.write('GET /hung HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await within(arrived, 2_000, 'the hung request to reach its handler');
  return { outcome };
}

describe('terminate() at odd moments of the server', () => {
  test('before listen(): resolves at once with an empty report, and the server never listens for it', async () => {
    const server = bareServer();
    const before = listenerCounts(server);
    const terminator = createTerminator({ server });
    const { report, elapsed } = await timedTerminate(terminator, 5_000);
    expect(report.timedOut).toBe(false);
    expect(report.connections).toMatchObject({ atStart: 0, forced: 0 });
    expect(elapsed).toBeLessThan(500);
    expect(server.listening).toBe(false);
    expect(listenerCounts(server)).toEqual(before);
    await expectAllClosed(terminator);
  });

  test('after the server already closed: resolves at once, and the server emits close only once', async () => {
    const { server } = await startHttp1('http', (_req, res) => res.end('ok'));
    let closes = 0;
    server.on('close', () => closes++);
    const terminator = createTerminator({ server });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { report, elapsed } = await timedTerminate(terminator, 5_000);
    await sleep(20);
    expect(closes).toBe(1);
    expect(report.timedOut).toBe(false);
    expect(elapsed).toBeLessThan(500);
    await expectAllClosed(terminator);
  });

  test('during listen() (the address lookup still pending): the server ends up closed, not listening behind a resolved terminate()', async () => {
    const server = bareServer();
    const terminator = createTerminator({ server });
    // With a host, net looks the address up first: `listening` is still false here.
    server.listen(0, '127.0.0.1');
    expect(server.listening).toBe(false);
    const { report, elapsed } = await timedTerminate(terminator, 2_000);
    expect(report.timedOut).toBe(false);
    expect(elapsed).toBeLessThan(1_000);
    // Give a late `listening` every chance to happen.
    await sleep(100);
    expect(server.listening).toBe(false);
    await expectAllClosed(terminator);
  });

  // Known limit, kept failing on purpose: with a host name, net resolves it on the thread
  // pool, and terminate() (nothing to wait for) has resolved and removed its listeners before
  // `listening` comes. No public API tells that a listen() is pending; the fix needs a design
  // decision (keep a `listening` listener on a server that never listened, or document that
  // terminate() must not race listen()). See docs/reliability.md.
  test.failing('during listen() on a host name (lookup on the thread pool): the server ends up closed', async () => {
    const server = bareServer();
    const terminator = createTerminator({ server });
    const listening = new Promise<void>((resolve) => server.once('listening', () => resolve()));
    server.listen(0, 'localhost');
    await timedTerminate(terminator, 2_000);
    // Wait for the lookup to end in `listening` rather than for a fixed time: a slow lookup must
    // not make the assertion pass by being early. Bounded, and a timeout is not a failure: once
    // terminate() handles this race, `listening` never comes, the assertion passes and
    // test.failing reports the fix. The server, listening or not, is closed by bareServer's clean-up.
    await within(listening, 2_000, "the server's 'listening'").catch(() => undefined);
    // A fix may close the server from its own `listening` listener: let that run first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(server.listening).toBe(false);
  });

  test('a server whose listen() failed with EADDRINUSE (it emitted error): terminate() resolves at once', async () => {
    const { server: holder, port } = await startHttp1('http', (_req, res) => res.end('ok'));
    cleanups.add(() => closeQuietly(holder));
    const server = bareServer();
    const failed = new Promise<NodeJS.ErrnoException>((resolve) => server.once('error', resolve));
    const terminator = createTerminator({ server });
    server.listen(port, '127.0.0.1');
    expect((await within(failed, 2_000, 'EADDRINUSE')).code).toBe('EADDRINUSE');
    const { report, elapsed } = await timedTerminate(terminator, 5_000);
    expect(report.timedOut).toBe(false);
    expect(report.failures).toEqual([]);
    expect(elapsed).toBeLessThan(500);
    await expectAllClosed(terminator);
  });

  test('a server that emits error during the drain: lastcall neither swallows it nor stops; the in-flight response completes', async () => {
    const release = deferred();
    const arrived = deferred();
    const { server, port, terminator } = await serveHttp1(cleanups, 'http', (_req, res) => {
      arrived.resolve();
      void release.promise.then(() => res.end('finished'));
    });
    // lastcall adds no `error` listener of its own: an application without one still crashes.
    expect(server.listenerCount('error')).toBe(0);
    const errors: Error[] = [];
    server.on('error', (error) => errors.push(error));
    const socket = await rawClient(cleanups, 'http', port);
    const outcome = collect(socket);
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await within(arrived.promise, 2_000, 'the request');
    const done = timedTerminate(terminator, 5_000);
    server.emit('error', new Error('EMFILE-like accept failure'));
    release.resolve();
    const reply = parseResponse((await outcome).text);
    const { report } = await done;
    expect(errors).toHaveLength(1);
    expect(reply.body).toBe('finished');
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 1 });
    await expectAllClosed(terminator);
  });
});

describe('strategies that throw, reject or hang (beyond strategies.test.ts)', () => {
  test('a force that throws synchronously is reported, and the default destroy still ends the connection', async () => {
    const broken: ForceStrategy = {
      force() {
        throw new Error('force threw');
      },
    };
    const hung = neverAnswers();
    const { port, terminator } = await serveHttp1(cleanups, 'http', hung.handler, { force: broken });
    const { outcome } = await hungRequest(port, hung.arrived.promise);
    const { report, elapsed } = await timedTerminate(terminator, 200);
    expect(report.failures.map((f) => f.phase)).toEqual(['force']);
    expect(isStrategyError(report.failures[0]?.error)).toBe(true);
    expect(await outcome).toBe('closed');
    expect(elapsed).toBeLessThan(200 + SETTLE_BOUND_MS);
    await expectAllClosed(terminator);
  });

  test('a drain and a force that both throw: the default destroy ends everything, both failures are reported', async () => {
    const drain: DrainStrategy = {
      begin() {
        throw new Error('drain threw');
      },
    };
    const force: ForceStrategy = {
      force() {
        throw new Error('force threw');
      },
    };
    const hung = neverAnswers();
    const { port, terminator } = await serveHttp1(cleanups, 'http', hung.handler, { drain, force });
    const { outcome } = await hungRequest(port, hung.arrived.promise);
    const { report, elapsed } = await timedTerminate(terminator, 200);
    expect(report.failures.map((f) => f.phase)).toEqual(['drain', 'force']);
    expect(report.timedOut).toBe(true);
    expect(await outcome).toBe('closed');
    expect(elapsed).toBeLessThan(200 + SETTLE_BOUND_MS);
    await expectAllClosed(terminator);
  });

  test('a drain whose onRequest throws: the request is still served, the failure is reported', async () => {
    class ThrowingOnRequest extends KeepAliveDrain {
      override onRequest(): void {
        throw new Error('onRequest threw');
      }
    }
    // The second request comes on a connection idle when the drain begins: a long grace, so it
    // reaches the server before the idle close however loaded the machine is.
    const { port, terminator } = await serveHttp1(cleanups, 'http', (_req, res) => res.end('served'), {
      drain: new ThrowingOnRequest({ idleGrace: PATIENT_GRACE_MS }),
    });
    const agent = keepAliveAgent('http');
    cleanups.add(() => agent.destroy());
    await get('http', port, '/', agent);
    const done = timedTerminate(terminator, 2_000);
    const reply = await get('http', port, '/', agent);
    // onRequest threw before it could mark the response Connection: close, so the connection
    // stays open; the client closes it rather than wait out the grace.
    agent.destroy();
    const { report } = await done;
    expect(reply.body).toBe('served');
    expect(report.failures.map((f) => f.phase)).toEqual(['drain']);
    expect(String(report.failures[0]?.error)).toContain('onRequest threw');
    await expectAllClosed(terminator);
  });

  test('a drain whose onIdle throws: reported, and the connection still ends before the deadline (its response carried Connection: close)', async () => {
    class ThrowingOnIdle extends KeepAliveDrain {
      override onIdle(): void {
        throw new Error('onIdle threw');
      }
    }
    const release = deferred();
    const arrived = deferred();
    const { port, terminator } = await serveHttp1(
      cleanups,
      'http',
      (_req, res) => {
        arrived.resolve();
        void release.promise.then(() => res.end('late'));
      },
      { drain: ThrowingOnIdle },
    );
    const agent = keepAliveAgent('http');
    cleanups.add(() => agent.destroy());
    const reply = get('http', port, '/', agent);
    // In flight when the drain begins, so its response is the one marked Connection: close.
    await within(arrived.promise, 2_000, 'the request');
    const done = timedTerminate(terminator, 600);
    release.resolve();
    const { body, headers } = await reply;
    expect(body).toBe('late');
    expect(headers.connection).toBe('close');
    const { report, elapsed } = await done;
    expect(report.failures.some((f) => f.phase === 'drain')).toBe(true);
    // Ended by the Connection: close response, not by the force at the deadline.
    expect(report.timedOut).toBe(false);
    expect(report.connections.forced).toBe(0);
    expect(elapsed).toBeLessThan(600 + SETTLE_BOUND_MS);
    await expectAllClosed(terminator);
  });

  test('a drain whose dispose() throws: reported, terminate() still resolves', async () => {
    class ThrowingDispose extends KeepAliveDrain {
      override dispose(): void {
        super.dispose();
        throw new Error('dispose threw');
      }
    }
    const { terminator } = await serveHttp1(cleanups, 'http', (_req, res) => res.end('ok'), {
      drain: ThrowingDispose,
    });
    const { report } = await timedTerminate(terminator, 1_000);
    expect(report.failures.map((f) => f.phase)).toEqual(['drain']);
    await expectAllClosed(terminator);
  });

  test('a force that never settles does not hold terminate(): the default destroy ends what is left within the settle bound', async () => {
    const stuck: ForceStrategy = { force: () => new Promise<void>(() => undefined) };
    const hung = neverAnswers();
    const { port, terminator } = await serveHttp1(cleanups, 'http', hung.handler, { force: stuck });
    const { outcome } = await hungRequest(port, hung.arrived.promise);
    const { report, elapsed } = await timedTerminate(terminator, 200);
    expect(report.timedOut).toBe(true);
    expect(report.failures.map((f) => f.phase)).toEqual(['force']);
    expect(await outcome).toBe('closed');
    expect(elapsed).toBeLessThan(200 + FORCE_SETTLE_TIMEOUT_MS + SETTLE_BOUND_MS);
    await expectAllClosed(terminator);
  });

  test('a drain whose dispose() never settles does not hold terminate()', async () => {
    const stuck: DrainStrategy = {
      begin: (context: ShutdownContext) => new KeepAliveDrain({ idleGrace: 0 }).begin(context),
      dispose: () => new Promise<void>(() => undefined) as unknown as undefined,
    };
    const { terminator } = await serveHttp1(cleanups, 'http', (_req, res) => res.end('ok'), { drain: stuck });
    const { elapsed } = await timedTerminate(terminator, 200);
    expect(elapsed).toBeLessThan(200 + FORCE_SETTLE_TIMEOUT_MS + SETTLE_BOUND_MS);
    await expectAllClosed(terminator);
  });
});

test('terminate() during listen() leaves no listener on the server and no address bound', async () => {
  const server = bareServer();
  const before = listenerCounts(server);
  const terminator = createTerminator({ server });
  server.listen(0, '127.0.0.1');
  await timedTerminate(terminator, 500);
  await sleep(50);
  expect(listenerCounts(server)).toEqual(before);
  expect((server.address() as AddressInfo | null) ?? null).toBeNull();
  expect(await openConnections(server)).toBe(0);
});
