// The HAProxy agent-check responder against raw TCP clients: the answer follows the state,
// garbage and silence are survived, no connection outlives the socket timeout, many at once.
import * as net from 'node:net';
import { createHealth, isPortInUseError } from '@lastcall/health';
import { agentExchange } from './helpers';

describe('agent-check responder', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('answers "up ready" while serving and "drain" from the first instant of shutdown, counting drains', async () => {
    const health = createHealth();
    const agent = await health.listenAgentCheck({ port: 0 });
    cleanups.push(() => agent.close());
    expect((await agentExchange(agent.port)).text).toBe('up ready\n');
    health.beginShutdown();
    expect((await agentExchange(agent.port)).text).toBe('drain\n');
    expect((await agentExchange(agent.port, 'backend/srv1\n')).text).toBe('drain\n');
    expect(health.notReadyAnswers).toEqual({ readiness: 0, agentCheck: 2 });
  });

  it('answers "down" while a check fails or before the start', async () => {
    const health = createHealth({ started: false });
    const agent = await health.listenAgentCheck({ port: 0 });
    cleanups.push(() => agent.close());
    expect((await agentExchange(agent.port)).text).toBe('down\n');
  });

  it('survives garbage, silence and a client that never reads; each connection ends within the timeout', async () => {
    const health = createHealth();
    const agent = await health.listenAgentCheck({ port: 0, socketTimeout: 300 });
    cleanups.push(() => agent.close());
    const garbage = await agentExchange(agent.port, Buffer.from([0, 255, 13, 10, 0x1b, 0x5b, 0x41, 7, 7]));
    expect(garbage.text).toBe('up ready\n');
    // A client that sends an endless stream: cut by the timeout, the server still answers.
    const flood = net.connect({ host: '127.0.0.1', port: agent.port });
    flood.on('error', () => undefined);
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const started = performance.now();
    const floodClosed = new Promise<number>((resolve) => flood.on('close', () => resolve(performance.now() - started)));
    const pump = setInterval(() => flood.write(chunk), 5);
    const closedAfter = await floodClosed;
    clearInterval(pump);
    expect(closedAfter).toBeLessThan(2_000);
    const silent = await agentExchange(agent.port);
    expect(silent.text).toBe('up ready\n');
    expect(silent.closedInMs).toBeLessThan(1_000);
    expect(await settledConnections(agent.server)).toBe(0);
  });

  it('a client that connects and goes silent without reading is closed at the socket timeout', async () => {
    // A check that hangs holds the answer: the connection must still end at socketTimeout.
    const health = createHealth({ checks: { hangs: { run: () => new Promise(() => undefined), timeout: 5_000 } } });
    const agent = await health.listenAgentCheck({ port: 0, socketTimeout: 300 });
    cleanups.push(() => agent.close());
    const { text, closedInMs } = await agentExchange(agent.port);
    expect(text).toBe('');
    expect(closedInMs).toBeGreaterThanOrEqual(250);
    expect(closedInMs).toBeLessThan(2_000);
  });

  it('serves 200 concurrent clients, each one line, none left open', async () => {
    const health = createHealth();
    const agent = await health.listenAgentCheck({ port: 0, maxConnections: 256 });
    cleanups.push(() => agent.close());
    health.beginShutdown();
    const answers = await Promise.all(Array.from({ length: 200 }, () => agentExchange(agent.port)));
    expect(new Set(answers.map((answer) => answer.text))).toEqual(new Set(['drain\n']));
    expect(health.notReadyAnswers.agentCheck).toBe(200);
    expect(await settledConnections(agent.server)).toBe(0);
  });

  it('a taken port is a PortInUseError; bad options name the option', async () => {
    const health = createHealth();
    const first = await health.listenAgentCheck({ port: 0 });
    cleanups.push(() => first.close());
    const taken = await health.listenAgentCheck({ port: first.port }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isPortInUseError(taken)).toBe(true);
    await expect(health.listenAgentCheck({ port: 0, socketTimeout: Number.NaN })).rejects.toThrow(/"socketTimeout"/);
    await expect(health.listenAgentCheck({ port: 0, maxConnections: 0 })).rejects.toThrow(/"maxConnections".*0/);
    await expect(health.listenAgentCheck({} as never)).rejects.toThrow(/"port"/);
  });
});

/** The server's connection count once it stops falling: its side of a close lands a moment after the client's. */
async function settledConnections(server: net.Server): Promise<number> {
  let count = await connections(server);
  for (let attempt = 0; attempt < 50 && count > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    count = await connections(server);
  }
  return count;
}

function connections(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}
