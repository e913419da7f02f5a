// Swapping and extending strategies: by option, by container, the alternatives core ships,
// strategies that fail, and an injected clock that drives the deadline.
import * as net from 'node:net';
import {
  createTerminator,
  DelayedCloseDrain,
  DestroyForce,
  type DrainStrategy,
  type ForceStrategy,
  isStrategyError,
  KeepAliveDrain,
  ResetForce,
  type ShutdownContext,
  TOKENS,
} from '@lastcall/core';
import {
  closeQuietly,
  type Deferred,
  type Handler,
  internals,
  neverAnswers,
  sleep,
  startHttp1,
  within,
} from '@lastcall/test-kit';
import request from 'supertest';
import { container } from 'tsyringe';
import { FORCE_SETTLE_TIMEOUT_MS } from '../src/options.js';
import { WARNING_CODES } from '../src/warnings.js';
import { get, keepAliveAgent } from './helpers/clients';
import { ManualClock } from './helpers/manualClock';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(handler: Handler) {
  const started = await startHttp1('http', handler);
  cleanups.push(() => closeQuietly(started.server));
  return started;
}

/** 'connected', or the error code of a refused attempt; bounded, so a hang fails here. */
function connectOutcome(port: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  const outcome = new Promise<string>((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  return within(outcome, 5_000, `a connection attempt to port ${port}`).finally(() => socket.destroy());
}

/**
 * Sends a request that never gets an answer and returns once the handler has it; `outcome` is
 * the client's error once the server ends it. Wrapped in an object: an async function returning
 * a bare promise would adopt it.
 */
async function hungRequest(port: number, arrived: Deferred): Promise<{ outcome: Promise<string> }> {
  const agent = keepAliveAgent('http');
  cleanups.push(() => agent.destroy());
  const outcome = get('http', port, '/', agent).then(
    () => 'answered',
    (error: Error) => error.message,
  );
  // The request is in the handler, not merely sent: the terminator sees it in flight.
  await within(arrived.promise, 5_000, 'the hung request to reach the handler');
  return { outcome };
}

/**
 * DelayedCloseDrain's listener delay here, in milliseconds: short next to its 5 s default, long
 * enough that a request made after terminate() is served within it on a loaded machine.
 */
const LISTEN_DELAY_MS = 1_000;

class ShortDelayDrain extends DelayedCloseDrain {
  constructor() {
    super({ delay: LISTEN_DELAY_MS });
  }
}

describe('swapping the drain strategy', () => {
  test('by option, as a class: DelayedCloseDrain keeps accepting for its delay, with Connection: close', async () => {
    const { server, port } = await listen((_req, res) => res.end('ok'));
    const terminator = createTerminator({ server, drain: ShortDelayDrain, gracefulTimeout: 5_000 });
    expect(internals(terminator).drain).toBeInstanceOf(ShortDelayDrain);
    const started = performance.now();
    const done = terminator.terminate();
    // During the delay a new connection is still served, and told to close.
    await request(server).get('/').timeout(5_000).expect(200).expect('Connection', 'close').expect('ok');
    // Past the delay the listener is closed. The drain's timer is due first, so it has run.
    await sleep(Math.max(0, LISTEN_DELAY_MS + 100 - (performance.now() - started)));
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    const report = await within(done, 5_000, 'terminate');
    expect(report.connections.acceptedDuringDrain).toBeGreaterThanOrEqual(1);
    expect(report.duration).toBeGreaterThanOrEqual(LISTEN_DELAY_MS - 5);
  });

  test('by option, as an instance: the default drain refuses at once', async () => {
    const { server, port } = await listen((_req, res) => res.end('ok'));
    const drain = new KeepAliveDrain({ idleGrace: 0 });
    const terminator = createTerminator({ server, drain });
    expect(internals(terminator).drain).toBe(drain);
    const done = terminator.terminate();
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    await within(done, 5_000, 'terminate');
  });

  test('by container registration: a platform team registers DelayedCloseDrain under TOKENS.drain', async () => {
    const platform = container.createChildContainer();
    platform.register(TOKENS.drain, { useClass: ShortDelayDrain });
    const { server, port } = await listen((_req, res) => res.end('ok'));
    const other = await listen((_req, res) => res.end('ok'));
    const terminator = createTerminator({ server, container: platform });
    const second = createTerminator({ server: other.server, container: platform });
    expect(internals(terminator).drain).toBeInstanceOf(ShortDelayDrain);
    // A class registration gives each terminator its own instance: no state is shared.
    expect(internals(second).drain).not.toBe(internals(terminator).drain);
    const done = terminator.terminate();
    expect(await connectOutcome(port)).toBe('connected');
    await within(done, 5_000, 'terminate');
    second.dispose();
  });

  test("a platform's wrapper and a service's drain compose: the service's drain runs inside the delay", async () => {
    const platform = container.createChildContainer();
    platform.register(TOKENS.drain, { useClass: ShortDelayDrain });
    const { server, port } = await listen((_req, res) => res.end('ok'));
    const service = new KeepAliveDrain({ idleGrace: 0 });
    const warnings = captureWarnings();
    const terminator = createTerminator({ server, container: platform, drain: service });
    await warnings.settled();
    expect(warnings.codes).toEqual([]);
    expect(internals(terminator).drain).toBeInstanceOf(DelayedCloseDrain);
    expect((internals(terminator).drain as DelayedCloseDrain).delay).toBe(LISTEN_DELAY_MS);
    expect((internals(terminator).drain as DelayedCloseDrain).drain).toBe(service);
    expect(container.isRegistered(TOKENS.drain, true)).toBe(false);
    const started = performance.now();
    const done = terminator.terminate();
    // The platform's delay holds: still accepting, and served.
    expect(await connectOutcome(port)).toBe('connected');
    // Then the service's drain: refused.
    await sleep(Math.max(0, LISTEN_DELAY_MS + 100 - (performance.now() - started)));
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    await within(done, 5_000, 'terminate');
  });

  test("a platform drain that cannot wrap is replaced by the service's, with a warning naming both", async () => {
    const platform = container.createChildContainer();
    platform.register(TOKENS.drain, { useClass: KeepAliveDrain });
    const { server } = await listen((_req, res) => res.end('ok'));
    const service = new KeepAliveDrain({ idleGrace: 0 });
    const warnings = captureWarnings();
    const terminator = createTerminator({ server, container: platform, drain: service });
    await warnings.settled();
    expect(internals(terminator).drain).toBe(service);
    expect(warnings.codes).toEqual([WARNING_CODES.drainReplaced]);
    expect(warnings.messages[0]).toMatch(
      /drain option \(KeepAliveDrain\) replaces the drain registered on the container \(KeepAliveDrain\)/,
    );
    await within(terminator.terminate(), 5_000, 'terminate');
  });
});

/**
 * Collects the warnings lastcall emits through `process.emitWarning`. A spy, not a `warning`
 * listener: jest gives each test file a process object whose events do not reach the test.
 */
function captureWarnings(): { codes: string[]; messages: string[]; settled(): Promise<void> } {
  const codes: string[] = [];
  const messages: string[] = [];
  const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((message: string, options?: { code?: string }) => {
    codes.push(options?.code ?? '');
    messages.push(message);
  }) as typeof process.emitWarning);
  return {
    codes,
    messages,
    settled: async () => {
      spy.mockRestore();
    },
  };
}

describe('the force strategy', () => {
  test('ResetForce ends a hung request with a TCP reset (the client reads ECONNRESET)', async () => {
    const { handler, arrived } = neverAnswers();
    const { server, port } = await listen(handler);
    const terminator = createTerminator({ server, force: ResetForce });
    const { outcome } = await hungRequest(port, arrived);
    const report = await within(terminator.terminate(100), 3_000, 'terminate');
    expect(report.timedOut).toBe(true);
    expect(report.connections.forced).toBe(1);
    expect(await outcome).toBe('read ECONNRESET');
  });

  test('DestroyForce ends a hung request with a plain close (the client sees a hang-up)', async () => {
    const { handler, arrived } = neverAnswers();
    const { server, port } = await listen(handler);
    const terminator = createTerminator({ server, force: DestroyForce });
    const { outcome } = await hungRequest(port, arrived);
    await within(terminator.terminate(100), 3_000, 'terminate');
    expect(await outcome).toBe('socket hang up');
  });
});

describe('strategies that fail', () => {
  test('a drain that throws is reported, and the terminator still forces at the deadline', async () => {
    const broken: DrainStrategy = {
      begin() {
        throw new Error('drain exploded');
      },
    };
    const { handler, arrived } = neverAnswers();
    const { server, port } = await listen(handler);
    const terminator = createTerminator({ server, drain: broken });
    const { outcome } = await hungRequest(port, arrived);
    const report = await within(terminator.terminate(100), 3_000, 'terminate');
    expect(report.timedOut).toBe(true);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]?.phase).toBe('drain');
    expect(isStrategyError(report.failures[0]?.error)).toBe(true);
    expect(String(report.failures[0]?.error)).toContain('drain exploded');
    expect(server.listening).toBe(false);
    expect(await outcome).toBe('socket hang up');
  });

  test('a force that rejects is reported, and the default destroy still ends the connection', async () => {
    const broken: ForceStrategy = {
      force: () => Promise.reject(new Error('force exploded')),
    };
    const { handler, arrived } = neverAnswers();
    const { server, port } = await listen(handler);
    const terminator = createTerminator({ server, force: broken });
    const { outcome } = await hungRequest(port, arrived);
    const report = await within(terminator.terminate(100), 3_000, 'terminate');
    expect(report.failures.map((failure) => failure.phase)).toEqual(['force']);
    expect(await outcome).toBe('socket hang up');
  });

  test('an async drain that never settles does not hold terminate() past the deadline', async () => {
    const stuck: DrainStrategy = {
      begin: (context: ShutdownContext) => {
        context.registry.stopAccepting(context.servers[0] as net.Server as never);
        return new Promise<void>(() => undefined);
      },
    };
    const { server } = await listen(() => undefined);
    const terminator = createTerminator({ server, drain: stuck });
    const started = performance.now();
    const report = await within(terminator.terminate(100), 5_000, 'terminate');
    const elapsed = performance.now() - started;
    expect(report.timedOut).toBe(false);
    // Past the 100 ms deadline the terminator waits for a strategy at most FORCE_SETTLE_TIMEOUT_MS;
    // 1 s more for a loaded machine. Waiting for the stuck begin() would hit the bound above.
    expect(elapsed).toBeLessThan(100 + FORCE_SETTLE_TIMEOUT_MS + 1_000);
  });
});

describe('an injected clock', () => {
  test('drives the graceful deadline: nothing is forced until the clock says so', async () => {
    const clock = new ManualClock();
    const { handler, arrived } = neverAnswers();
    const { server, port } = await listen(handler);
    const terminator = createTerminator({ server, clock, gracefulTimeout: 60_000 });
    const { outcome } = await hungRequest(port, arrived);
    let settled = false;
    const done = terminator.terminate().finally(() => {
      settled = true;
    });
    await sleep(100);
    expect(settled).toBe(false);
    clock.advance(59_000);
    await sleep(30);
    expect(settled).toBe(false);
    clock.advance(1_000);
    const report = await within(done, 2_000, 'terminate after the clock passed the deadline');
    expect(report.timedOut).toBe(true);
    expect(report.duration).toBe(60_000);
    expect(await outcome).toBe('socket hang up');
  });
});

describe('dispose()', () => {
  test('removes every listener the terminator added to the server', async () => {
    const { server } = await listen((_req, res) => res.end('ok'));
    server.on('upgrade', () => undefined);
    const events = [
      'connection',
      'request',
      'close',
      'listening',
      'upgrade',
      'connect',
      'newListener',
      'removeListener',
    ];
    const before = events.map((event) => server.listenerCount(event));
    const terminator = createTerminator({ server });
    expect(events.map((event) => server.listenerCount(event))).not.toEqual(before);
    terminator.dispose();
    await sleep(0);
    expect(events.map((event) => server.listenerCount(event))).toEqual(before);
  });

  test('terminate() leaves no listener behind either', async () => {
    const { server } = await listen((_req, res) => res.end('ok'));
    const events = ['connection', 'request', 'close', 'listening', 'newListener', 'removeListener'];
    const before = events.map((event) => server.listenerCount(event));
    await within(createTerminator({ server }).terminate(), 5_000, 'terminate');
    expect(events.map((event) => server.listenerCount(event))).toEqual(before);
  });
});

describe('forceNow()', () => {
  test('cuts the graceful period short: the force runs at once and the report counts it', async () => {
    const { handler, arrived } = neverAnswers();
    const { server, port } = await listen(handler);
    const terminator = createTerminator({ server, gracefulTimeout: 60_000 });
    const { outcome } = await hungRequest(port, arrived);
    const done = terminator.terminate();
    await sleep(50);
    const started = performance.now();
    const forced = terminator.forceNow();
    expect(forced).toBe(done);
    const report = await within(forced, 2_000, 'terminate after forceNow()');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(report.timedOut).toBe(true);
    expect(report.connections).toMatchObject({ atStart: 1, forced: 1, closedGracefully: 0 });
    expect(report.requests.aborted).toBe(1);
    expect(await outcome).toBe('socket hang up');
  });

  test('in the same tick as terminate(), and before it, it still forces', async () => {
    const { handler, arrived } = neverAnswers();
    const { server, port } = await listen(handler);
    const terminator = createTerminator({ server, gracefulTimeout: 60_000 });
    const { outcome } = await hungRequest(port, arrived);
    const done = terminator.terminate();
    terminator.forceNow();
    expect((await within(done, 2_000, 'terminate')).connections.forced).toBe(1);
    await outcome;
    const idle = await listen(() => undefined);
    const early = createTerminator({ server: idle.server });
    const report = await within(early.forceNow(), 2_000, 'forceNow before terminate');
    expect(report.gracefulTimeout).toBe(0);
  });
});

describe('drains that compose', () => {
  test('every callback reaches every drain in order; one that throws is reported by name and the others still run', async () => {
    const calls: string[] = [];
    class Exploding implements DrainStrategy {
      begin(): void {
        calls.push('exploding.begin');
        throw new Error('begin exploded');
      }
      onRequest(): void {
        calls.push('exploding.onRequest');
        throw new Error('onRequest exploded');
      }
    }
    class Recording implements DrainStrategy {
      begin(): void {
        calls.push('recording.begin');
      }
      onRequest(): void {
        calls.push('recording.onRequest');
      }
      dispose(): void {
        calls.push('recording.dispose');
      }
    }
    const { server, port } = await listen((_req, res) => res.end('ok'));
    const agent = keepAliveAgent('http');
    try {
      // The HTTP drain last here: it still runs after the one that threw, closes the listener,
      // and answers the request on the open keep-alive connection with Connection: close.
      const terminator = createTerminator({
        server,
        gracefulTimeout: 5_000,
        drain: [new Exploding(), new Recording(), new KeepAliveDrain({ idleGrace: 2_000 })],
      });
      await get('http', port, '/', agent);
      const done = terminator.terminate();
      const reply = await get('http', port, '/', agent);
      expect(reply.headers.connection).toBe('close');
      const report = await within(done, 5_000, 'terminate');
      expect(calls).toEqual([
        'exploding.begin',
        'recording.begin',
        'exploding.onRequest',
        'recording.onRequest',
        'recording.dispose',
      ]);
      expect(report.timedOut).toBe(false);
      expect(report.failures.map((f) => [f.phase, f.error.strategy, (f.error.cause as Error).message])).toEqual([
        ['drain', 'Exploding', 'begin exploded'],
        ['drain', 'Exploding', 'onRequest exploded'],
      ]);
    } finally {
      agent.destroy();
    }
  });

  test('a drain that rejects later is reported too, and does not hold terminate()', async () => {
    const late: DrainStrategy = { begin: () => Promise.reject(new Error('later')) };
    const { server } = await listen((_req, res) => res.end('ok'));
    const terminator = createTerminator({ server, drain: [new KeepAliveDrain(), late] });
    const report = await within(terminator.terminate(), 5_000, 'terminate');
    expect(report.timedOut).toBe(false);
    expect(report.failures.map((f) => (f.error.cause as Error).message)).toEqual(['later']);
  });
});

describe('what a strategy can reach', () => {
  test("the context's registry is a frozen view: no watch, untrack, dispose, track or events; a connection has no setters", async () => {
    let seen: ShutdownContext | undefined;
    let kindWrite: unknown;
    const probe: DrainStrategy = {
      begin(context) {
        seen = context;
        for (const connection of context.registry.connections()) {
          try {
            (connection as { kind: string }).kind = 'upgraded';
          } catch (error) {
            kindWrite = error;
          }
        }
        new KeepAliveDrain({ idleGrace: 0 }).begin(context);
      },
    };
    const { server, port } = await listen((_req, res) => res.end('ok'));
    const agent = keepAliveAgent('http');
    try {
      const terminator = createTerminator({ server, drain: probe });
      await get('http', port, '/', agent);
      await within(terminator.terminate(), 5_000, 'terminate');
    } finally {
      agent.destroy();
    }
    const registry = seen?.registry as unknown as Record<string, unknown>;
    expect(Object.isFrozen(registry)).toBe(true);
    for (const hidden of ['watch', 'untrack', 'dispose', 'track', 'sweep', 'on', 'emit', 'counters']) {
      expect(registry[hidden]).toBeUndefined();
    }
    expect(Object.isFrozen(seen)).toBe(true);
    // A getter without a setter: assigning throws in strict mode, and the registry's record is unchanged.
    expect(kindWrite).toBeInstanceOf(TypeError);
  });
});
