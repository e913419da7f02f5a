// Readiness, liveness and startup on real sockets: the flip at shutdown, checks with timeouts,
// status-only answers, the routing handler and the probe server of the health's own.
import * as http from 'node:http';
import * as net from 'node:net';
import { createHealth, isPortInUseError } from '@lastcall/health';
import { closeQuietly, startHttp1 } from '@lastcall/test-kit';
import { get } from './helpers';

describe('readiness, liveness, startup', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('readiness is 200 while serving and 503 from beginShutdown; liveness stays 200', async () => {
    const health = createHealth();
    const probes = await health.listen({ port: 0 });
    cleanups.push(() => probes.close());
    expect((await get(probes.port, '/readyz')).status).toBe(200);
    health.beginShutdown();
    const ready = await get(probes.port, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toBe('');
    expect((await get(probes.port, '/livez')).status).toBe(200);
    expect((await get(probes.port, '/startupz')).status).toBe(200);
    expect(health.notReadyAnswers).toEqual({ readiness: 1, agentCheck: 0 });
  });

  it('startup and readiness are 503 until markStarted', async () => {
    const health = createHealth({ started: false });
    const probes = await health.listen({ port: 0 });
    cleanups.push(() => probes.close());
    expect((await get(probes.port, '/startupz')).status).toBe(503);
    expect((await get(probes.port, '/readyz')).status).toBe(503);
    expect((await get(probes.port, '/livez')).status).toBe(200);
    health.markStarted();
    expect((await get(probes.port, '/startupz')).status).toBe(200);
    expect((await get(probes.port, '/readyz')).status).toBe(200);
  });

  it('mounts as a plain handler on the application server, other paths reach the application', async () => {
    const health = createHealth();
    const app = await startHttp1('http', (req, res) =>
      health.handler(req, res, () => {
        res.end('app');
      }),
    );
    cleanups.push(() => closeQuietly(app.server));
    expect((await get(app.port, '/readyz')).status).toBe(200);
    expect((await get(app.port, '/orders')).body).toBe('app');
  });

  it('a hanging check answers not ready at its timeout; a failing one at once', async () => {
    let healthy = true;
    const health = createHealth({
      checks: { hangs: { run: () => new Promise(() => undefined), timeout: 200 }, db: () => healthy },
      detail: true,
    });
    const probes = await health.listen({ port: 0 });
    cleanups.push(() => probes.close());
    const started = performance.now();
    const answer = await get(probes.port, '/readyz');
    const took = performance.now() - started;
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({
      status: 'unavailable',
      state: 'serving',
      checks: { hangs: 'timeout', db: 'ok' },
    });
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(2_000);
    healthy = false;
    const second = await createHealth({ checks: { db: () => healthy } }).checkReadiness();
    expect(second).toEqual({ ready: false, state: 'serving', checks: { db: 'failed' } });
  });

  it('during shutdown a hanging check is not run: 503 at once', async () => {
    const health = createHealth({ checks: { hangs: { run: () => new Promise(() => undefined), timeout: 10_000 } } });
    const probes = await health.listen({ port: 0 });
    cleanups.push(() => probes.close());
    health.beginShutdown();
    const started = performance.now();
    expect((await get(probes.port, '/readyz')).status).toBe(503);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('never echoes the request: unknown paths are a bare 404, detail holds only the state', async () => {
    const health = createHealth({ detail: true });
    const probes = await health.listen({ port: 0 });
    cleanups.push(() => probes.close());
    const unknown = await get(probes.port, '/<script>alert(1)</script>');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toBe('');
    const ready = await get(probes.port, '/readyz?x=<b>hi</b>');
    expect(ready.body).not.toContain('<b>');
    expect(ready.headers['cache-control']).toBe('no-store');
  });

  it('a probe port already in use is a PortInUseError at start-up', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => holder.close(() => resolve())));
    const { port } = holder.address() as net.AddressInfo;
    const error = await createHealth()
      .listen({ port })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isPortInUseError(error)).toBe(true);
    expect(String((error as Error).message)).toContain(`127.0.0.1:${port}`);
  });

  it('rejects bad options naming the option and the value', () => {
    expect(() => createHealth({ checkTimeout: -1 })).toThrow(/"checkTimeout".*-1/);
    expect(() => createHealth({ checks: { db: 5 as never } })).toThrow(/"checks.db"/);
    expect(() => createHealth({ timeout: 5 } as never)).toThrow(/"timeout" must be a known option/);
    expect(() => createHealth({ paths: { readiness: 'ready' } })).toThrow(/"paths.readiness".*"ready"/);
    return expect(createHealth().listen({ port: 70_000 })).rejects.toThrow(/"port".*70000/);
  });

  it('binds 127.0.0.1 by default', async () => {
    const probes = await createHealth().listen({ port: 0 });
    cleanups.push(() => probes.close());
    expect((probes.server.address() as net.AddressInfo).address).toBe('127.0.0.1');
    expect(probes.server).toBeInstanceOf(http.Server);
  });
});
