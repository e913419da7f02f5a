// Behind an L7 balancer that pools connections to us (nginx `keepalive`, HAProxy `http-reuse`),
// with its upstream idle timeout known: once the listener has closed, a pooled idle connection
// is not closed under the balancer (which may be sending a POST on it at that instant); a request
// that arrives on it is answered in full with `Connection: close`, and the connection closes only
// after the balancer's idle timeout (plus a margin). Raw sockets play the balancer's pool.
import * as net from 'node:net';
import { createTerminator, KeepAliveDrain } from '@lastcall/core';
import { AcknowledgedDelayDrain, createHealth } from '@lastcall/health';
import { closeQuietly, sleep, startHttp1, within } from '@lastcall/test-kit';

const UPSTREAM_IDLE_TIMEOUT = 300;

/** A pooled connection: one keep-alive GET answered, then idle. Records when the server closed it. */
async function pooledConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  let closedAt: number | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closedAt = performance.now();
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('GET / HTTP/1.1\r\nHost: pool\r\n\r\n');
  await within(
    (async () => {
      for (let i = 0; i < 500 && !received.includes('ok'); i++) await sleep(2);
    })(),
    5_000,
    'the first answer',
  );
  const idleSince = performance.now();
  received = '';
  return {
    socket,
    idleSince,
    received: () => received,
    closedAt: () => closedAt,
  };
}

async function serve() {
  const app = await startHttp1('http', (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  return app;
}

describe("balancer 'l7' with upstreamIdleTimeout: pooled connections are left to the balancer", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a POST on a pooled connection after the listener closed is answered; idle ones close after the upstream timeout', async () => {
    const app = await serve();
    cleanups.push(() => closeQuietly(app.server));
    const used = await pooledConnection(app.port);
    const idle = await pooledConnection(app.port);
    const drain = new AcknowledgedDelayDrain({
      health: createHealth(),
      balancer: 'l7',
      maxDelay: 50,
      upstreamIdleTimeout: UPSTREAM_IDLE_TIMEOUT,
    });
    const done = createTerminator({ server: app.server, drain, gracefulTimeout: 5_000 }).terminate();
    // Past the listener's close and past KeepAliveDrain's 100 ms default grace: the balancer
    // reuses the pooled connection for a POST with a body.
    await sleep(250);
    expect(used.closedAt()).toBeUndefined();
    used.socket.write('POST /orders HTTP/1.1\r\nHost: pool\r\nContent-Length: 11\r\n\r\n{"id":1234}');
    const report = await within(done, 5_000, 'terminate()');
    expect(used.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(used.received()).toMatch(/\r\nConnection: close\r\n/i);
    expect(used.received()).toMatch(/\r\n\r\nok$/);
    // The idle one was closed by us, not before the balancer's idle timeout (plus margin) passed.
    for (let i = 0; i < 200 && idle.closedAt() === undefined; i++) await sleep(5);
    const idleClosedAt = idle.closedAt();
    expect(idleClosedAt).toBeDefined();
    expect((idleClosedAt as number) - idle.idleSince).toBeGreaterThanOrEqual(UPSTREAM_IDLE_TIMEOUT + 900);
    expect(report.connections.forced).toBe(0);
    expect(drain.drain).toBeInstanceOf(KeepAliveDrain);
    expect((drain.drain as KeepAliveDrain).idleGrace).toBe(UPSTREAM_IDLE_TIMEOUT + 1_000);
  });

  it('without it, the default grace closes the pooled connection under the balancer: the POST fails', async () => {
    const app = await serve();
    cleanups.push(() => closeQuietly(app.server));
    const used = await pooledConnection(app.port);
    const drain = new AcknowledgedDelayDrain({ health: createHealth(), balancer: 'l7', maxDelay: 50 });
    const done = createTerminator({ server: app.server, drain, gracefulTimeout: 5_000 }).terminate();
    await sleep(250);
    // The race nginx loses: its pool still holds the connection, the server has closed it.
    expect(used.closedAt()).toBeDefined();
    await within(done, 5_000, 'terminate()');
  });

  it('bad combinations are named', () => {
    const health = createHealth();
    expect(() => new AcknowledgedDelayDrain({ health, upstreamIdleTimeout: 4_000 })).toThrow(
      /"upstreamIdleTimeout".*balancer 'l7'/,
    );
    expect(
      () =>
        new AcknowledgedDelayDrain({
          health,
          balancer: 'l7',
          upstreamIdleTimeout: 4_000,
          drain: [new KeepAliveDrain()],
        }),
    ).toThrow(/"drain".*idleGrace.*4000/);
    const ok = new AcknowledgedDelayDrain({ health, balancer: 'l7', upstreamIdleTimeout: 4_000 });
    expect(() => ok.wrap(new KeepAliveDrain({ idleGrace: 5_000 }))).not.toThrow();
    expect(() => ok.wrap(new KeepAliveDrain())).toThrow(/idleGrace/);
    expect(ok.wrap(new KeepAliveDrain({ idleGrace: 5_000 })).upstreamIdleTimeout).toBe(4_000);
    expect(() => new AcknowledgedDelayDrain({ health, balancer: 'l7', upstreamIdleTimeout: -1 })).toThrow(
      /"upstreamIdleTimeout".*-1/,
    );
  });
});
