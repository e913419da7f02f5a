// Contract point 6 on real sockets: HTTP/2 over h2c, over TLS, and over TLS with allowHTTP1
// serving HTTP/1.1 and HTTP/2 clients at once.

import { once } from 'node:events';
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import * as net from 'node:net';
import { createTerminator, KeepAliveDrain, type Terminator } from '@lastcall/core';
import { type Deferred, deferred, sleep, within } from '@lastcall/test-kit';
import { get, keepAliveAgent } from './helpers/clients';
import {
  type AnyResponse,
  type CompatHandler,
  closeHttp2Quietly,
  connectH2,
  type H2Client,
  type Http2Kind,
  type Http2Server,
  h2Get,
  startHttp2,
} from './helpers/http2';

describe.each<Http2Kind>(['h2c', 'h2', 'h2+http1'])('%s: terminate()', (kind) => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  interface Served {
    server: Http2Server;
    port: number;
    url: string;
    terminator: Terminator;
  }
  /**
   * A listening server and its terminator. `idleGrace` (default: the drain's own) for tests
   * whose "promptly" must stand apart from the grace as well as from the deadline.
   */
  async function serve(
    handler: CompatHandler,
    { gracefulTimeout = 5_000, idleGrace }: { gracefulTimeout?: number; idleGrace?: number } = {},
  ): Promise<Served> {
    const started = await startHttp2(kind, handler);
    const sessions = new Set<http2.ServerHttp2Session>();
    started.server.on('session', (session: http2.ServerHttp2Session) => sessions.add(session));
    cleanups.push(() => closeHttp2Quietly(started.server, sessions));
    const terminator = createTerminator({
      server: started.server,
      gracefulTimeout,
      ...(idleGrace !== undefined && { drain: new KeepAliveDrain({ idleGrace }) }),
    });
    cleanups.push(() => (terminator.state === 'running' ? terminator.dispose() : undefined));
    return { ...started, terminator };
  }
  async function client(url: string): Promise<H2Client> {
    const c = await connectH2(url);
    cleanups.push(() => c.session.destroy());
    return c;
  }
  /**
   * Holds each request and ends it when the test says so. An HTTP/2 response writes a first
   * part at once; an HTTP/1.1 one does not, so its head is still unsent when the drain begins.
   * `arrived` resolves once `expected` requests are held.
   */
  function held(expected = 1): { handler: CompatHandler; arrived: Deferred; responses: AnyResponse[] } {
    const arrived = deferred();
    const responses: AnyResponse[] = [];
    const handler: CompatHandler = (req, res) => {
      if (req.httpVersion === '2.0') res.write('first-');
      responses.push(res);
      if (responses.length >= expected) arrived.resolve();
    };
    return { handler, arrived, responses };
  }

  test('an in-flight stream completes with its full body, the client gets GOAWAY, terminate() resolves right after', async () => {
    const { handler, arrived, responses } = held();
    // A 3 s idle grace and a 5 s deadline: "right after" below is told apart from both.
    const { url, terminator } = await serve(handler, { idleGrace: 3_000 });
    const c = await client(url);
    const reply = h2Get(c.session, '/');
    await within(arrived.promise, 2_000, 'the request to arrive');

    const done = terminator.terminate();
    const code = await within(c.goaway, 1_000, 'GOAWAY on the client session');
    expect(code).toBe(0); // NGHTTP2_NO_ERROR: a graceful GOAWAY
    // The stream stays open after GOAWAY until the application ends it.
    await sleep(50);
    expect(terminator.state).toBe('draining');

    const endedAt = performance.now();
    responses[0]?.end('last');
    const report = await within(done, 2_000, 'terminate() to resolve');
    const overshoot = performance.now() - endedAt;
    console.log(`${kind}: terminate() resolved ${overshoot.toFixed(1)} ms after the last stream's end`);

    expect(await reply).toEqual({ status: 200, body: 'first-last', error: undefined });
    // Typically a few ms; room for a loaded machine, still a third of the shortest timer.
    expect(overshoot).toBeLessThan(1_000);
    expect(report.timedOut).toBe(false);
    expect(report.connections).toMatchObject({ atStart: 1, closedGracefully: 1, forced: 0 });
    expect(report.sessions).toEqual({ atStart: 1, openedDuringDrain: 0, closedGracefully: 1, forced: 0 });
    expect(report.streams).toEqual({ inFlightAtStart: 1, receivedDuringDrain: 0, completed: 1, aborted: 0 });
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, completed: 1, aborted: 0 });
    expect(report.kindsAtStart.http2).toBe(1);
    await within(c.closed, 1_000, 'the client session to close');
  });

  test('an idle session gets GOAWAY and is closed promptly, long before the deadline', async () => {
    // A 3 s idle grace: an idle session must not wait for it (nor for the 5 s deadline).
    const { url, terminator } = await serve((_req, res) => res.end('ok'), { idleGrace: 3_000 });
    const c = await client(url);
    expect((await h2Get(c.session, '/')).body).toBe('ok');

    const started = performance.now();
    const report = await within(terminator.terminate(), 2_000, 'terminate() to resolve');
    const elapsed = performance.now() - started;
    console.log(`${kind}: an idle session closed in ${elapsed.toFixed(1)} ms`);

    expect(c.sawGoaway()).toBe(true);
    await within(c.closed, 1_000, 'the client session to close');
    expect(report.timedOut).toBe(false);
    expect(report.sessions).toMatchObject({ atStart: 1, closedGracefully: 1, forced: 0 });
    // No idle grace for sessions: GOAWAY tells the client which streams were not processed.
    // Typically a few ms; the bound leaves a loaded machine room and is a third of the grace.
    expect(elapsed).toBeLessThan(1_000);
  });

  test('a new connection during the drain is refused', async () => {
    const { handler, arrived, responses } = held();
    const { url, terminator } = await serve(handler);
    const c = await client(url);
    const reply = h2Get(c.session, '/');
    await within(arrived.promise, 2_000, 'the request to arrive');
    const done = terminator.terminate();

    await expect(connectH2(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    responses[0]?.end('last');
    expect((await reply).body).toBe('first-last');
    await within(done, 2_000, 'terminate() to resolve');
  });

  test('a stream that never ends is forced at the deadline and reported', async () => {
    const { handler, arrived } = held();
    const { url, terminator } = await serve(handler, { gracefulTimeout: 300 });
    const c = await client(url);
    const reply = h2Get(c.session, '/');
    await within(arrived.promise, 2_000, 'the request to arrive');

    const started = performance.now();
    const report = await within(terminator.terminate(), 3_000, 'terminate() to resolve');
    const elapsed = performance.now() - started;

    expect(c.sawGoaway()).toBe(true);
    const result = await within(reply, 1_000, 'the stream to close');
    expect(result.body).toBe('first-');
    expect(result.error).toMatch(/rstCode [1-9]|ECONNRESET/);
    expect(report.timedOut).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
    expect(report.connections).toMatchObject({ atStart: 1, forced: 1 });
    expect(report.sessions).toMatchObject({ atStart: 1, closedGracefully: 0, forced: 1 });
    expect(report.streams).toMatchObject({ inFlightAtStart: 1, completed: 0, aborted: 1 });
    expect(report.requests).toMatchObject({ inFlightAtStart: 1, aborted: 1 });
  });

  test('several streams on one session all complete; the session closes after the last one', async () => {
    const { handler, arrived, responses } = held(3);
    const { url, terminator } = await serve(handler);
    const c = await client(url);
    const replies = [h2Get(c.session, '/a'), h2Get(c.session, '/b'), h2Get(c.session, '/c')];
    await within(arrived.promise, 5_000, 'the three requests to arrive');
    expect(responses).toHaveLength(3);

    const done = terminator.terminate();
    await within(c.goaway, 1_000, 'GOAWAY');
    responses[0]?.end('1');
    responses[1]?.end('2');
    await sleep(30);
    expect(terminator.state).toBe('draining');
    responses[2]?.end('3');
    const report = await within(done, 2_000, 'terminate() to resolve');

    expect((await Promise.all(replies)).map((r) => r.body)).toEqual(['first-1', 'first-2', 'first-3']);
    expect(report.streams).toEqual({ inFlightAtStart: 3, receivedDuringDrain: 0, completed: 3, aborted: 0 });
    expect(report.sessions.closedGracefully).toBe(1);
  });

  if (kind !== 'h2c') {
    test('a session whose TLS handshake finishes after the drain began gets GOAWAY at once', async () => {
      // A long idle grace: the handshaking connection is not cut, and the server's own close()
      // (Node 24 sends GOAWAY from it) only comes after the grace. 5 s, and a 10 s deadline:
      // "at once" below (2 s, room for a TLS handshake on a loaded machine) is told apart.
      const started = await startHttp2(kind, (_req, res) => res.end('ok'));
      cleanups.push(() => closeHttp2Quietly(started.server, []));
      const terminator = createTerminator({
        server: started.server,
        gracefulTimeout: 10_000,
        drain: new KeepAliveDrain({ idleGrace: 5_000 }),
      });
      cleanups.push(() => (terminator.state === 'running' ? terminator.dispose() : undefined));
      const raw = net.connect(started.port, '127.0.0.1');
      cleanups.push(() => raw.destroy());
      await within(once(raw, 'connect'), 2_000, 'the TCP connection');

      const begun = performance.now();
      const done = terminator.terminate();
      const c = await connectH2(started.url, raw);
      cleanups.push(() => c.session.destroy());
      await within(c.goaway, 2_000, 'GOAWAY on the late session');
      const report = await within(done, 3_000, 'terminate() to resolve');
      const elapsed = performance.now() - begun;
      expect(elapsed).toBeLessThan(2_000);
      expect(report.sessions).toMatchObject({ atStart: 0, openedDuringDrain: 1, closedGracefully: 1, forced: 0 });
    });
  }

  if (kind === 'h2+http1') {
    test('HTTP/1.1 and HTTP/2 clients at once: each drains its own way', async () => {
      const { handler, arrived, responses } = held(2);
      const { url, port, terminator } = await serve(handler);
      const c = await client(url);
      const agent: http.Agent = keepAliveAgent('https', 1);
      cleanups.push(() => agent.destroy());
      const h2Reply = h2Get(c.session, '/h2');
      const h1Reply = get('https', port, '/h1', agent);
      await within(arrived.promise, 5_000, 'both requests to arrive');
      expect(responses).toHaveLength(2);

      const done = terminator.terminate();
      await within(c.goaway, 1_000, 'GOAWAY on the HTTP/2 session');
      for (const res of responses) res.end('last');
      const report = await within(done, 2_000, 'terminate() to resolve');

      expect(await h2Reply).toEqual({ status: 200, body: 'first-last', error: undefined });
      const h1 = await h1Reply;
      expect(h1.body).toBe('last');
      expect(h1.headers.connection).toBe('close');
      expect(report.timedOut).toBe(false);
      expect(report.connections).toMatchObject({ atStart: 2, closedGracefully: 2, forced: 0 });
      expect(report.kindsAtStart).toMatchObject({ http2: 1, tls: 1 });
      expect(report.sessions).toMatchObject({ atStart: 1, closedGracefully: 1 });
      expect(report.streams).toMatchObject({ inFlightAtStart: 1, completed: 1 });
      expect(report.requests).toMatchObject({ inFlightAtStart: 2, completed: 2, aborted: 0 });
    });

    test('an idle HTTP/1.1 keep-alive connection is closed after the idle grace, like https', async () => {
      const { port, terminator } = await serve((_req, res) => res.end('ok'));
      const agent: http.Agent = keepAliveAgent('https', 1);
      cleanups.push(() => agent.destroy());
      expect((await get('https', port, '/', agent)).body).toBe('ok');

      const started = performance.now();
      const report = await within(terminator.terminate(), 2_000, 'terminate() to resolve');
      const elapsed = performance.now() - started;
      expect(report.timedOut).toBe(false);
      expect(report.connections).toMatchObject({ atStart: 1, closedGracefully: 1, forced: 0 });
      expect(report.kindsAtStart.tls).toBe(1);
      expect(elapsed).toBeGreaterThanOrEqual(90); // the default 100 ms idle grace
    });
  }
});
