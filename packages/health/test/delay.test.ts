// AcknowledgedDelayDrain with a real terminator and a real probe client: readiness flips
// before the listener closes, the delay ends after the fall threshold, is bounded by the max
// delay, and a flood of probes does not delay the drain.
import * as http from 'node:http';
import * as net from 'node:net';
import { createContainer, createTerminator, KeepAliveDrain, TOKENS } from '@lastcall/core';
import { AcknowledgedDelayDrain, createHealth } from '@lastcall/health';
import { closeQuietly, internals, startHttp1, within } from '@lastcall/test-kit';
import { get } from './helpers';

/** Resolves when a new TCP connection to the port is refused: the listener closed. */
async function listenerClosedAt(port: number, bound: number): Promise<number> {
  const started = performance.now();
  for (let attempt = 0; performance.now() - started < bound && attempt < 2_000; attempt++) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (refused) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`the listener on ${port} was still open after ${bound} ms`);
}

describe('AcknowledgedDelayDrain', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('readiness is 503 before the listener closes, and the listener closes after `fall` not-ready answers', async () => {
    const health = createHealth();
    const probes = await health.listen({ port: 0 });
    cleanups.push(() => probes.close());
    const app = await startHttp1('http', (_req, res) => res.end('ok'));
    cleanups.push(() => closeQuietly(app.server));
    const drain = new AcknowledgedDelayDrain({ health, fall: 3, maxDelay: 10_000, settleTime: 0 });
    const terminator = createTerminator({ server: app.server, drain, gracefulTimeout: 15_000 });

    const done = terminator.terminate();
    const closing = listenerClosedAt(app.port, 8_000);
    // The probe client: the balancer's checker. Each answer is 503; the listener stays open
    // until the third.
    const statuses: number[] = [];
    let thirdAnsweredAt = 0;
    for (let poll = 0; poll < 3; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect((await get(app.port, '/')).status).toBe(200); // still listening, still serving
      statuses.push((await get(probes.port, '/readyz')).status);
      thirdAnsweredAt = performance.now();
    }
    expect(statuses).toEqual([503, 503, 503]);
    const closedAt = await closing;
    expect(closedAt).toBeGreaterThanOrEqual(thirdAnsweredAt - 5);
    expect(closedAt - thirdAnsweredAt).toBeLessThan(1_000);
    await within(done, 5_000, 'terminate()');
    expect(drain.outcome).toBe('acknowledged');
  });

  it('agent-check drain answers acknowledge too (agentFall 1 by default)', async () => {
    const health = createHealth();
    const agent = await health.listenAgentCheck({ port: 0 });
    cleanups.push(() => agent.close());
    const app = await startHttp1('http', (_req, res) => res.end('ok'));
    cleanups.push(() => closeQuietly(app.server));
    const drain = new AcknowledgedDelayDrain({ health, maxDelay: 10_000 });
    const done = createTerminator({ server: app.server, drain }).terminate();
    const socket = net.connect({ host: '127.0.0.1', port: agent.port });
    socket.on('data', () => undefined);
    await within(new Promise((resolve) => socket.on('close', resolve)), 5_000, 'agent answer');
    const report = await within(done, 5_000, 'terminate()');
    expect(drain.outcome).toBe('acknowledged');
    expect(report.duration).toBeLessThan(3_000);
  });

  it('is bounded by maxDelay when no checker comes', async () => {
    const health = createHealth();
    const app = await startHttp1('http', (_req, res) => res.end('ok'));
    cleanups.push(() => closeQuietly(app.server));
    const drain = new AcknowledgedDelayDrain({ health, maxDelay: 300 });
    const started = performance.now();
    const done = createTerminator({ server: app.server, drain }).terminate();
    expect(health.state).toBe('draining');
    const closedAt = await listenerClosedAt(app.port, 5_000);
    expect(closedAt - started).toBeGreaterThanOrEqual(280);
    expect(closedAt - started).toBeLessThan(1_500);
    await within(done, 5_000, 'terminate()');
    expect(drain.outcome).toBe('maxDelay');
  });

  it('registered on a container, its outcome and duration are on the object the platform holds', async () => {
    // The platform registers the instance; the service passes its own drain, so the terminator
    // runs a copy of the wrapper around it (wrap()). The platform's object still hears how it went.
    const health = createHealth();
    const app = await startHttp1('http', (_req, res) => res.end('ok'));
    cleanups.push(() => closeQuietly(app.server));
    const ack = new AcknowledgedDelayDrain({ health, maxDelay: 200 });
    const platform = createContainer();
    platform.register(TOKENS.drain, { useValue: ack });
    const service = new KeepAliveDrain({ idleGrace: 0 });
    const terminator = createTerminator({ server: app.server, container: platform, drain: service });
    expect(internals(terminator).drain).not.toBe(ack);
    expect((internals(terminator).drain as AcknowledgedDelayDrain).drain).toBe(service);
    expect(ack.outcome).toBeUndefined();
    await within(terminator.terminate(), 5_000, 'terminate()');
    expect(ack.outcome).toBe('maxDelay');
    expect(ack.duration).toBeGreaterThanOrEqual(190);
    expect(ack.duration).toBeLessThan(1_500);
    expect((internals(terminator).drain as AcknowledgedDelayDrain).outcome).toBe('maxDelay');
  });

  it("balancer 'l7' keeps keep-alive during the delay, 'none' answers Connection: close", async () => {
    for (const [balancer, expected] of [
      ['l7', 'keep-alive'],
      ['none', 'close'],
    ] as const) {
      const health = createHealth();
      const app = await startHttp1('http', (_req, res) => res.end('ok'));
      const drain = new AcknowledgedDelayDrain({ health, balancer, maxDelay: 1_000 });
      expect(drain.closeConnections).toBe(balancer !== 'l7');
      const done = createTerminator({ server: app.server, drain }).terminate();
      const agent = new http.Agent({ keepAlive: true });
      const header = await new Promise<string | undefined>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: app.port, agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.headers.connection));
          })
          .on('error', reject);
      });
      agent.destroy();
      expect(header).toBe(expected);
      await within(done, 5_000, 'terminate()');
      await closeQuietly(app.server);
    }
  });

  it('a flood of probes during shutdown does not delay the drain', async () => {
    const health = createHealth();
    const probes = await health.listen({ port: 0 });
    cleanups.push(() => probes.close());
    const app = await startHttp1('http', (_req, res) => res.end('ok'));
    cleanups.push(() => closeQuietly(app.server));
    const drain = new AcknowledgedDelayDrain({ health, fall: 2, maxDelay: 10_000 });
    let flooding = true;
    let sent = 0;
    const flooders = Array.from({ length: 16 }, async () => {
      for (let i = 0; flooding && i < 2_000; i++) {
        await get(probes.port, '/readyz').catch(() => undefined);
        sent++;
      }
    });
    const report = await within(createTerminator({ server: app.server, drain }).terminate(), 5_000, 'terminate()');
    flooding = false;
    await Promise.all(flooders);
    expect(drain.outcome).toBe('acknowledged');
    expect(report.duration).toBeLessThan(1_500);
    expect(sent).toBeGreaterThan(2);
  });

  it('wrap() keeps its settings around another drain; bad options are named', () => {
    const health = createHealth();
    const drain = new AcknowledgedDelayDrain({ health, fall: 2, balancer: 'l7', maxDelay: 700 });
    const wrapped = drain.wrap({ begin: () => undefined });
    expect([wrapped.fall, wrapped.balancer, wrapped.maxDelay, wrapped.health]).toEqual([2, 'l7', 700, health]);
    expect(() => new AcknowledgedDelayDrain({ health, fall: 0 })).toThrow(/"fall".*0/);
    expect(() => new AcknowledgedDelayDrain({ health, balancer: 'alb' as never })).toThrow(/"balancer".*"alb"/);
    expect(() => new AcknowledgedDelayDrain({ health, maxDelay: -5 })).toThrow(/"maxDelay".*-5/);
    expect(() => new AcknowledgedDelayDrain({} as never)).toThrow(/"health"/);
    expect(() => new AcknowledgedDelayDrain({ health, delay: 1 } as never)).toThrow(/"delay" must be a known option/);
  });
});
