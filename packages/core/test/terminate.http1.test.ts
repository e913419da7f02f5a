// The behaviour contract (points 1-5, 8-10) for HTTP/1.1 over http and https, on real sockets.
import type * as http from 'node:http';
import type * as https from 'node:https';
import * as net from 'node:net';
import {
  type CreateTerminatorOptions,
  createTerminator,
  KeepAliveDrain,
  type TerminationReport,
  type Terminator,
} from '@lastcall/core';
import {
  closeQuietly,
  connectRaw,
  type Deferred,
  deferred,
  type Handler,
  type Http1Kind,
  readAll,
  readUntil,
  sleep,
  startHttp1,
  whenClosed,
  within,
} from '@lastcall/test-kit';
import { get, keepAliveAgent, keepAliveLoad } from './helpers/clients';
import { ManualClock } from './helpers/manualClock';

/** KeepAliveDrain's default idle grace (milliseconds), read from a default drain. */
const DEFAULT_IDLE_GRACE_MS = new KeepAliveDrain().idleGrace;

describe.each<Http1Kind>(['http', 'https'])('%s: terminate()', (kind) => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  interface Served {
    server: http.Server | https.Server;
    port: number;
    terminator: Terminator;
  }
  async function listen(handler: Handler): Promise<{ server: http.Server | https.Server; port: number }> {
    const started = await startHttp1(kind, handler);
    cleanups.push(() => closeQuietly(started.server));
    return started;
  }
  function track(terminator: Terminator): Terminator {
    cleanups.push(() => (terminator.state === 'running' ? terminator.dispose() : undefined));
    return terminator;
  }
  /** A listening server with its terminator made at once, as a service does. */
  async function serve(handler: Handler, options: Omit<CreateTerminatorOptions, 'server'> = {}): Promise<Served> {
    const started = await listen(handler);
    const terminator = track(createTerminator({ server: started.server, gracefulTimeout: 5_000, ...options }));
    return { ...started, terminator };
  }
  function agent(maxSockets = 1): http.Agent {
    const a = keepAliveAgent(kind, maxSockets);
    cleanups.push(() => a.destroy());
    return a;
  }
  /**
   * terminate()'s promise, bounded: past the 5 s deadline of `serve` and the 1 s force settle
   * it has hung, and the test says so instead of waiting for jest's timeout.
   */
  function finished(done: Promise<TerminationReport>): Promise<TerminationReport> {
    return within(done, 8_000, 'terminate() to resolve');
  }
  function freeSocket(a: http.Agent): net.Socket {
    const socket = Object.values(a.freeSockets)[0]?.[0];
    if (!socket) throw new Error('the agent has no free socket');
    return socket;
  }
  /** A handler that holds every request until `release` resolves, and says when one arrived. */
  function held(body = 'done'): { handler: Handler; arrived: Deferred; release: Deferred } {
    const arrived = deferred();
    const release = deferred();
    const handler: Handler = (_req, res) => {
      arrived.resolve();
      void release.promise.then(() => res.end(body));
    };
    return { handler, arrived, release };
  }

  test('an idle keep-alive connection is closed after the idle grace, without waiting for the deadline', async () => {
    const { port, terminator } = await serve((_req, res) => res.end('ok'));
    const client = agent();
    // The grace counts from when the connection went idle (its response ended), which is
    // before the client has the reply: timed from before the request, elapsed is a lower bound.
    const started = performance.now();
    await get(kind, port, '/', client);
    const closed = whenClosed(freeSocket(client));
    const report = await finished(terminator.terminate());
    await within(closed, 1_000, 'the idle socket to close');
    const elapsed = performance.now() - started;
    expect(report.timedOut).toBe(false);
    expect(report.connections).toMatchObject({ atStart: 1, closedGracefully: 1, forced: 0 });
    // The default grace is 100 ms; the 5 s deadline plays no part.
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(2_000);
  });

  test('with idleGrace 0 an idle keep-alive connection is closed at once', async () => {
    let serverSide: net.Socket | undefined;
    const { port, terminator } = await serve(
      (req, res) => {
        serverSide = req.socket;
        res.end('ok');
      },
      { drain: new KeepAliveDrain({ idleGrace: 0 }) },
    );
    await get(kind, port, '/', agent());
    if (serverSide === undefined) throw new Error('the request never reached the handler');
    expect(serverSide.destroyed).toBe(false);
    const done = terminator.terminate();
    // "At once" without a clock: destroyed inside the terminate() call, before any timer could
    // run. Any grace, even 1 ms, would leave it open here (the default 100 ms is tested above).
    expect(serverSide.destroyed).toBe(true);
    const report = await finished(done);
    expect(report.timedOut).toBe(false);
    expect(report.connections.closedGracefully).toBe(1);
    // Far from the 5 s deadline, with room for a loaded machine.
    expect(report.duration).toBeLessThan(1_000);
  });

  test('with the default drain, a connection idle for longer than the grace closes at once; one idle just now gets the rest of its grace and its next request Connection: close', async () => {
    // Time by hand: "at once" and "the rest of the grace" are then exact, however loaded the machine.
    const clock = new ManualClock();
    const serverSide = new Map<string, net.Socket>();
    const { port, terminator } = await serve(
      (req, res) => {
        serverSide.set(req.url ?? '', req.socket);
        res.end('ok');
      },
      { clock },
    );
    const longIdle = await connectRaw(kind, port);
    const recent = await connectRaw(kind, port);
    cleanups.push(
      () => longIdle.destroy(),
      () => recent.destroy(),
    );
    const firstAnswer = readUntil(longIdle, 'ok');
    longIdle.write('GET /long HTTP/1.1\r\nHost: x\r\n\r\n');
    await firstAnswer;
    // Well past the default 100 ms grace: this connection's client is not about to send.
    clock.advance(400);
    const secondAnswer = readUntil(recent, 'ok');
    recent.write('GET /recent HTTP/1.1\r\nHost: x\r\n\r\n');
    await secondAnswer;
    const longServerSide = serverSide.get('/long');
    const recentServerSide = serverSide.get('/recent');
    if (longServerSide === undefined || recentServerSide === undefined)
      throw new Error('a request never reached the handler');
    const done = terminator.terminate();
    // Not inside the call: a request already in its socket buffer is read first (tested below).
    expect(longServerSide.destroyed).toBe(false);
    // Two turns later (after a poll for I/O): the long-idle one closes; the recent one keeps
    // the rest of its grace.
    clock.advance(0);
    clock.advance(0);
    expect(longServerSide.destroyed).toBe(true);
    expect(recentServerSide.destroyed).toBe(false);
    clock.advance(DEFAULT_IDLE_GRACE_MS - 1);
    expect(recentServerSide.destroyed).toBe(false);
    const answer = readAll(recent);
    recent.write('GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text.toLowerCase()).toContain('connection: close');
    const report = await finished(done);
    expect(report.timedOut).toBe(false);
    expect(report.connections).toMatchObject({ atStart: 2, closedGracefully: 2, forced: 0 });
    expect(report.requests).toMatchObject({ receivedDuringDrain: 1, completed: 1, aborted: 0 });
  });

  test('a connection that never sent a byte is closed after the idle grace, not left to the deadline', async () => {
    const { port, terminator } = await serve((_req, res) => res.end('ok'));
    const socket = await connectRaw(kind, port);
    cleanups.push(() => socket.destroy());
    const closed = whenClosed(socket);
    const report = await finished(terminator.terminate());
    await within(closed, 1_000, 'the unused connection to close');
    expect(report.timedOut).toBe(false);
    expect(report.connections).toMatchObject({ atStart: 1, closedGracefully: 1, forced: 0 });
    expect(report.duration).toBeLessThan(1_000);
  });

  test('an in-flight response gets Connection: close and its full body', async () => {
    const body = 'x'.repeat(256 * 1024);
    const { handler, arrived, release } = held(body);
    const { port, terminator } = await serve(handler);
    const reply = get(kind, port, '/', agent());
    await within(arrived.promise, 5_000, 'the request to arrive');
    const done = terminator.terminate();
    await sleep(20);
    release.resolve();
    const answer = await reply;
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBe('close');
    expect(answer.body).toBe(body);
    const report = await finished(done);
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 1, aborted: 0 });
  });

  test('a new connection during the drain is refused (ECONNREFUSED), not accepted and reset', async () => {
    const { handler, arrived, release } = held();
    const { port, terminator } = await serve(handler);
    const pending = get(kind, port, '/', agent());
    await within(arrived.promise, 5_000, 'the request to arrive');
    const done = terminator.terminate();
    const socket = net.connect(port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    const attempt = await within(
      new Promise<string>((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      }),
      5_000,
      'the connection attempt during the drain',
    );
    socket.destroy();
    expect(attempt).toBe('ECONNREFUSED');
    release.resolve();
    await pending;
    expect((await finished(done)).connections.acceptedDuringDrain).toBe(0);
  });

  test('a request that never answers is forced at the deadline, and the report says so', async () => {
    const arrived = deferred();
    const { port, terminator } = await serve(() => arrived.resolve());
    const outcome = get(kind, port, '/', agent()).then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    await within(arrived.promise, 5_000, 'the request to arrive');
    const started = performance.now();
    const report = await within(terminator.terminate(200), 3_000, 'terminate() to resolve');
    const elapsed = performance.now() - started;
    expect(report.timedOut).toBe(true);
    expect(report.gracefulTimeout).toBe(200);
    expect(report.connections).toMatchObject({ atStart: 1, forced: 1, closedGracefully: 0 });
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 0, aborted: 1 });
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(1_500);
    expect(await outcome).toMatch(/ECONNRESET|socket hang up/);
  });

  test('pipelined requests already received are all answered; only the last response closes', async () => {
    let seen = 0;
    const allArrived = deferred();
    const release = deferred();
    const { port, terminator } = await serve((req, res) => {
      if (++seen === 3) allArrived.resolve();
      void release.promise.then(() => res.end(`reply to ${req.url}`));
    });
    const socket = await connectRaw(kind, port);
    cleanups.push(() => socket.destroy());
    const text = readAll(socket);
    socket.write(['/a', '/b', '/c'].map((p) => `GET ${p} HTTP/1.1\r\nHost: localhost\r\n\r\n`).join(''));
    await within(allArrived.promise, 2_000, 'three pipelined requests');
    const done = terminator.terminate();
    release.resolve();
    const received = await within(text, 3_000, 'the connection to close');
    const heads = received.split('HTTP/1.1 200 OK').slice(1);
    expect(heads).toHaveLength(3);
    for (const path of ['/a', '/b', '/c']) expect(received).toContain(`reply to ${path}`);
    expect(heads.slice(0, 2).every((head) => /Connection: keep-alive/i.test(head))).toBe(true);
    expect(heads[2]).toMatch(/Connection: close/i);
    const report = await finished(done);
    expect(report.requests).toMatchObject({ inFlightAtStart: 3, completed: 3, aborted: 0 });
  });

  test('a connection with a partly received request head is spared, then answered with Connection: close', async () => {
    const { server, port, terminator } = await serve((_req, res) => res.end('late but whole'), {
      drain: new KeepAliveDrain({ idleGrace: 20 }),
    });
    // The socket the http parser reads: the TLS one for https.
    const serverSide = new Promise<net.Socket>((resolve) =>
      server.once(kind === 'http' ? 'connection' : 'secureConnection', resolve),
    );
    const socket = await connectRaw(kind, port);
    cleanups.push(() => socket.destroy());
    const text = readAll(socket);
    socket.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n');
    // The partial head must have reached the server before the drain begins, else the
    // connection is one that never sent a byte, which the grace rightly closes. No event says
    // so without touching the parser: look at the server socket's byte count, bounded.
    const received = await within(serverSide, 2_000, 'the server side of the connection');
    for (let i = 0; i < 200 && received.bytesRead === 0; i++) await sleep(10);
    expect(received.bytesRead).toBeGreaterThan(0);
    const done = terminator.terminate();
    // Well past the idle grace: an idle connection would be gone by now.
    await sleep(200);
    expect(socket.destroyed).toBe(false);
    socket.write('X-Finally: yes\r\n\r\n');
    const answer = await within(text, 3_000, 'the answer and the close');
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toMatch(/Connection: close/i);
    expect(answer).toContain('late but whole');
    expect((await finished(done)).timedOut).toBe(false);
  });

  test('a request sent on an idle keep-alive connection right after terminate() is answered with Connection: close', async () => {
    // A grace far longer than the request takes on a loaded machine: the test is about the
    // answer, not a race with the idle close (a request within any grace gets this answer).
    const { port, terminator } = await serve((_req, res) => res.end('ok'), {
      drain: new KeepAliveDrain({ idleGrace: 2_000 }),
    });
    const client = agent();
    const first = await get(kind, port, '/', client);
    expect(first.headers.connection).toBe('keep-alive');
    const done = terminator.terminate();
    const second = await get(kind, port, '/', client);
    expect(second.status).toBe(200);
    expect(second.headers.connection).toBe('close');
    const report = await finished(done);
    expect(report.timedOut).toBe(false);
    expect(report.requests.receivedDuringDrain).toBe(1);
  });

  test('a request already waiting in the socket buffer when the idle grace ends (event loop blocked) is answered, not reset', async () => {
    // A starved process: the client's request reached the server's socket within the grace,
    // but the event loop was busy until the grace was over. The next turn runs its timers
    // before it polls for I/O, so a close in the grace timer itself would destroy a connection
    // whose request Node has not read yet, and the client would see a reset.
    // A grace of 300 ms, not less: the request must be written within it, and on a loaded CI
    // machine the sleep and the turn below have taken over 50 ms (the test then failed by a
    // reset that is the race it is not about).
    const { port, terminator } = await serve((_req, res) => res.end('ok'), {
      drain: new KeepAliveDrain({ idleGrace: 300 }),
    });
    const socket = await connectRaw(kind, port);
    cleanups.push(() => socket.destroy());
    const first = readUntil(socket, 'ok');
    socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
    await first;
    const started = performance.now();
    const done = terminator.terminate();
    await sleep(10);
    // From a setImmediate callback: the loop goes on to the next turn's timers phase from here.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const answer = readAll(socket);
    socket.write('GET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    const written = performance.now() - started;
    // Bounded busy wait: the grace (300 ms) ends while the request sits unread.
    while (performance.now() - started < 400) {
      /* the event loop is blocked on purpose */
    }
    const text = await answer;
    // Written within the grace, or the test proves nothing (a starved test process).
    expect(written).toBeLessThan(300);
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text.endsWith('ok')).toBe(true);
    const report = await finished(done);
    expect(report.timedOut).toBe(false);
    expect(report.requests.receivedDuringDrain).toBe(1);
    expect(report.requests.completed).toBe(1);
  });

  test('a request that reached the socket before terminate(), on a connection idle for longer than the grace, is answered, not reset', async () => {
    // A keep-alive client sends its next request late (a starved client, PM2's reload on a busy
    // machine); the server is told to stop before it polled for that request. The bytes are in
    // the server's socket already: closing the connection as long idle would reset the request.
    const { port, terminator } = await serve((_req, res) => res.end('ok'), {
      drain: new KeepAliveDrain({ idleGrace: 50 }),
    });
    const socket = await connectRaw(kind, port);
    cleanups.push(() => socket.destroy());
    const first = readUntil(socket, 'ok');
    socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
    await first;
    // Past the 50 ms grace: by the server's count this connection is long idle.
    await sleep(150);
    const answer = readAll(socket);
    socket.write('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
    // Bounded busy wait: the request reaches the server's socket while its loop cannot read it.
    const sent = performance.now();
    while (performance.now() - sent < 20) {
      /* the event loop is blocked on purpose */
    }
    const done = terminator.terminate();
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text.endsWith('ok')).toBe(true);
    const report = await finished(done);
    expect(report.timedOut).toBe(false);
    expect(report.requests).toMatchObject({ receivedDuringDrain: 1, completed: 1, aborted: 0 });
  });

  test('a connection opened before the terminator existed is drained', async () => {
    const { server, port } = await listen((_req, res) => res.end('ok'));
    const idle = agent();
    await get(kind, port, '/', idle);
    const idleClosed = whenClosed(freeSocket(idle));
    const busy = agent();
    await get(kind, port, '/', busy);
    // Both connections exist before the terminator; the second one sends a request while
    // draining. A 2 s grace so that request is not raced by the idle close on a loaded
    // machine; still well before the 10 s deadline that `forced: 0` below rules out.
    const terminator = track(
      createTerminator({ server, gracefulTimeout: 10_000, drain: new KeepAliveDrain({ idleGrace: 2_000 }) }),
    );
    const done = terminator.terminate();
    const during = await get(kind, port, '/', busy);
    expect(during.headers.connection).toBe('close');
    await within(idleClosed, 5_000, 'the pre-existing idle connection to close');
    const report = await within(done, 5_000, 'terminate() to resolve');
    expect(report.timedOut).toBe(false);
    expect(report.connections).toMatchObject({ atStart: 2, forced: 0, closedGracefully: 2 });
  });

  test('32 keep-alive clients loading the server while it terminates see zero failed requests (3 runs)', async () => {
    for (let run = 0; run < 3; run++) {
      // terminate() comes once every client has been served (so its connection is accepted),
      // not after a fixed sleep: on a loaded machine Node may not have accepted all 32 by then,
      // and the kernel resets a connection still in its accept queue when the listener closes,
      // which no drain can prevent and this test is not about.
      // A 1 s idle grace: the clients share this process's CPU, and when it stalls longer than
      // the default 100 ms the idle close can fire before the server has read a request a
      // client sent well within the grace (the kernel holds it). Every request sent within
      // the grace must be served; what this test checks is that none is dropped.
      const served = new Set<net.Socket>();
      const allServed = deferred();
      const { port, terminator } = await serve(
        (req, res) => {
          served.add(req.socket);
          if (served.size === 32) allServed.resolve();
          setTimeout(() => res.end('ok'), Math.floor(Math.random() * 5));
        },
        { drain: new KeepAliveDrain({ idleGrace: 1_000 }) },
      );
      // Each client stops at its first refused connection, after terminate(); the time limit
      // is only a backstop.
      const load = keepAliveLoad(kind, port, 32, performance.now() + 10_000);
      await within(allServed.promise, 5_000, 'each of the 32 clients to be served once');
      await sleep(500);
      const report = await finished(terminator.terminate());
      const outcome = await within(load, 15_000, 'the clients to stop');
      expect({ run, failed: outcome.failed, errors: outcome.errors.slice(0, 5) }).toEqual({
        run,
        failed: 0,
        errors: [],
      });
      expect(outcome.ok).toBeGreaterThan(100);
      expect(report.timedOut).toBe(false);
      expect(report.connections.forced).toBe(0);
    }
  });

  test('several servers under one terminator drain together', async () => {
    const one = held('one');
    const two = held('two');
    const a = await listen(one.handler);
    const b = await listen(two.handler);
    const terminator = track(createTerminator({ servers: [a.server, b.server], gracefulTimeout: 5_000 }));
    const replies = Promise.all([get(kind, a.port, '/', agent()), get(kind, b.port, '/', agent())]);
    await within(Promise.all([one.arrived.promise, two.arrived.promise]), 5_000, 'both requests to arrive');
    const done = terminator.terminate();
    one.release.resolve();
    await sleep(30);
    // Both listeners closed at once; the second server still serves its request.
    expect(a.server.listening).toBe(false);
    expect(b.server.listening).toBe(false);
    two.release.resolve();
    const [ra, rb] = await replies;
    expect([ra.body, rb.body]).toEqual(['one', 'two']);
    expect([ra.headers.connection, rb.headers.connection]).toEqual(['close', 'close']);
    const report = await finished(done);
    expect(report.requests).toMatchObject({ inFlightAtStart: 2, completed: 2 });
    expect(report.connections).toMatchObject({ atStart: 2, closedGracefully: 2, forced: 0 });
  });

  test('terminate() twice returns the same promise, and the state moves running -> draining -> closed', async () => {
    const { handler, arrived, release } = held();
    const { port, terminator } = await serve(handler);
    const reply = get(kind, port, '/', agent());
    await within(arrived.promise, 5_000, 'the request to arrive');
    expect(terminator.state).toBe('running');
    const first = terminator.terminate();
    const second = terminator.terminate(1);
    expect(second).toBe(first);
    expect(terminator.state).toBe('draining');
    release.resolve();
    await reply;
    const report = await finished(first);
    expect(terminator.state).toBe('closed');
    expect(report.gracefulTimeout).toBe(5_000);
    expect(await terminator.terminate()).toBe(report);
  });

  test("the report's counts: idle and busy connections, requests in flight and during the drain", async () => {
    let hold = false;
    const busyArrived = deferred();
    const gate = deferred();
    const { port, terminator } = await serve((_req, res) => {
      if (!hold) return void res.end('quick');
      busyArrived.resolve();
      void gate.promise.then(() => res.end('busy'));
    });
    const idleA = agent();
    const idleB = agent();
    await Promise.all([get(kind, port, '/', idleA), get(kind, port, '/', idleB)]);
    hold = true;
    const busy = get(kind, port, '/', agent());
    await within(busyArrived.promise, 5_000, 'the busy request to arrive');
    const done = terminator.terminate();
    gate.resolve();
    await busy;
    const report = await finished(done);
    expect(report).toMatchObject({
      timedOut: false,
      gracefulTimeout: 5_000,
      connections: { atStart: 3, acceptedDuringDrain: 0, closedGracefully: 3, forced: 0 },
      requests: { inFlightAtStart: 1, receivedDuringDrain: 0, completed: 1, aborted: 0 },
      failures: [],
    });
    expect(report.kindsAtStart[kind === 'http' ? 'http1' : 'tls']).toBe(3);
  });

  test('terminate() resolves right after the last response ends, not at a grace, keep-alive timeout or deadline (event-driven)', async () => {
    let finishedAt = 0;
    const arrived = deferred();
    const release = deferred();
    // Every timer that could end the wait instead of the response's end is long: the idle
    // grace (5 s), the deadline (10 s) and the server's keepAliveTimeout (60 s, startHttp1).
    const { port, terminator } = await serve(
      (_req, res) => {
        arrived.resolve();
        res.on('finish', () => {
          finishedAt = performance.now();
        });
        void release.promise.then(() => res.end('last'));
      },
      { gracefulTimeout: 10_000, drain: new KeepAliveDrain({ idleGrace: 5_000 }) },
    );
    const reply = get(kind, port, '/', agent());
    await within(arrived.promise, 5_000, 'the request to arrive');
    const done = terminator.terminate().then((report) => ({ report, at: performance.now() }));
    await sleep(50);
    release.resolve();
    await reply;
    const { report, at } = await within(done, 12_000, 'terminate() to resolve');
    const overshoot = at - finishedAt;
    expect(report.timedOut).toBe(false);
    expect(overshoot).toBeGreaterThanOrEqual(0);
    // Typically under 1 ms. The bound leaves a loaded machine room and still fails at once
    // on a wait for any of the timers above, the shortest of which is ten times as long.
    expect(overshoot).toBeLessThan(500);
  });
});
