// Leak and churn: 100,000 connections through a tracked server, 1,000 create/terminate cycles,
// and terminators nobody used. Needs `global.gc`: `pnpm test` runs it after the suite, with
// node --expose-gc (or alone: `pnpm test:leak`); a plain jest run leaves it out (jest.config.ts),
// and if it is run without the collector anyway, it skips itself and says why.
import { createHook } from 'node:async_hooks';
import * as http from 'node:http';
import * as net from 'node:net';
import { type Clock, createTerminator, KeepAliveDrain, systemClock, type Terminator } from '@lastcall/core';
import { internals, listenerCounts, openConnections } from '@lastcall/test-kit';
import { get, keepAliveAgent } from '../helpers/clients';

const gc = (globalThis as { gc?: () => void }).gc;
const suite = typeof gc === 'function' ? describe : describe.skip;
if (typeof gc !== 'function') {
  console.warn('churn.leak.test.ts skipped: global.gc is missing. Run `pnpm test:leak` (node --expose-gc).');
}

/** Connections of the churn test, and the bound on heap growth it asserts, in bytes. */
const CONNECTIONS = 100_000;
const HEAP_BOUND_BYTES = 4 * 1024 * 1024;
const CYCLES = 1_000;

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Heap in use after full collections, once finalizers and weak callbacks had their turns. */
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await tick();
  }
  return process.memoryUsage().heapUsed;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

/**
 * Opens `count` connections, `concurrency` at a time. Every fourth sends a request with
 * `Connection: close` and reads the answer (the server ends it); the others connect and hang up
 * (the client ends it). Bounded: each connection gives up after 5 s.
 */
async function churn(port: number, count: number, concurrency = 32): Promise<{ answered: number; failed: number }> {
  let started = 0;
  let answered = 0;
  let failed = 0;
  const one = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setTimeout(5_000, () => socket.destroy());
      let text = '';
      socket.on('error', () => {
        failed++;
      });
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      socket.on('close', () => {
        if (text.endsWith('ok')) answered++;
        resolve();
      });
      socket.on('connect', () => {
        if (index % 4 === 0) socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
        else socket.end();
      });
    });
  const worker = async (): Promise<void> => {
    while (started < count) await one(started++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { answered, failed };
}

suite('leaks and churn (--expose-gc)', () => {
  test(`${CONNECTIONS} connections opened and closed through a tracked server leave the heap flat (bound ${HEAP_BOUND_BYTES / 1024 / 1024} MB)`, async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    const port = await listen(server);
    const terminator = createTerminator({ server });
    try {
      // Warm-up: JIT, pools and lazily made structures of Node and of lastcall.
      await churn(port, 5_000);
      const baseline = await settledHeap();
      const started = performance.now();
      const { answered, failed } = await churn(port, CONNECTIONS);
      const seconds = (performance.now() - started) / 1_000;
      // Wait for the server side of the last connections to close too (bounded: 2 s).
      for (let i = 0; i < 100 && (await openConnections(server)) > 0; i++) await new Promise((r) => setTimeout(r, 20));
      const after = await settledHeap();
      const growth = after - baseline;
      console.log(
        `churn: ${CONNECTIONS} connections in ${seconds.toFixed(1)} s (${answered} answered, ${failed} client errors); ` +
          `heap ${(baseline / 1e6).toFixed(2)} MB -> ${(after / 1e6).toFixed(2)} MB (${growth >= 0 ? `grew ${(growth / 1024).toFixed(0)}` : `shrank ${(-growth / 1024).toFixed(0)}`} KiB, growth bound ${HEAP_BOUND_BYTES / 1024} KiB)`,
      );
      expect(answered).toBe(CONNECTIONS / 4 + (CONNECTIONS % 4 > 0 ? 1 : 0));
      expect(internals(terminator).registry.inFlight).toBe(0);
      expect(await openConnections(server)).toBe(0);
      expect(growth).toBeLessThan(HEAP_BOUND_BYTES);
      // Records of closed connections may be swept lazily; after terminate() none is left.
      const report = await terminator.terminate(1_000);
      expect(report.timedOut).toBe(false);
      expect(internals(terminator).registry.size).toBe(0);
    } finally {
      if (terminator.state === 'running') await terminator.terminate(1_000);
      await close(server);
    }
  }, 300_000);

  test(`${CYCLES} create/terminate cycles leave no listener on process or on the servers, and no timer`, async () => {
    const processBefore = listenerCounts(process);
    const resourcesBefore = countResources();
    const timers = new TimerWatch();
    timers.start();
    const drain = (i: number): KeepAliveDrain => new KeepAliveDrain({ idleGrace: i % 50 === 0 ? 20 : 0 });
    let withConnections = 0;
    let timersLeft = 0;
    for (let i = 0; i < CYCLES; i++) {
      const clock = new CountingClock();
      const server = http.createServer((_req, res) => res.end('ok'));
      server.keepAliveTimeout = 60_000;
      const port = await listen(server);
      const serverBefore = listenerCounts(server);
      const terminator: Terminator = createTerminator({ server, drain: drain(i), gracefulTimeout: 1_000, clock });
      // Every 50th cycle: an idle keep-alive connection, so the idle-grace timer runs.
      let agent: http.Agent | undefined;
      if (i % 50 === 0) {
        agent = keepAliveAgent('http');
        await get('http', port, '/', agent);
        withConnections++;
      }
      const report = await terminator.terminate();
      agent?.destroy();
      if (report.timedOut) throw new Error(`cycle ${i} timed out`);
      expect(listenerCounts(server)).toEqual(serverBefore);
      timersLeft += clock.pending.size;
    }
    timers.stopRecording();
    // Node's own short timers (its cached Date header lives up to 1 s) may still be pending, and
    // closed sockets and servers leave the resource list a tick or two later: wait, bounded.
    // A timer, socket or server still there after that is a leak.
    const leftover = await timers.settle(1_500);
    const settled = (): boolean => {
      const now = countResources();
      return (
        (now.TCPServerWrap ?? 0) <= (resourcesBefore.TCPServerWrap ?? 0) &&
        (now.TCPSocketWrap ?? 0) <= (resourcesBefore.TCPSocketWrap ?? 0)
      );
    };
    for (let i = 0; i < 40 && !settled(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    const resourcesAfter = countResources();
    console.log(
      `cycles: ${CYCLES} (${withConnections} with an idle keep-alive connection); lastcall timers left ${timersLeft}; ` +
        `timers created in the cycles: ${timers.created}, alive after them: ${leftover.length}; ` +
        `active resources before ${JSON.stringify(resourcesBefore)}, after ${JSON.stringify(resourcesAfter)}`,
    );
    expect(timersLeft).toBe(0);
    expect(leftover).toEqual([]);
    expect(listenerCounts(process)).toEqual(processBefore);
    expect(resourcesAfter.TCPServerWrap ?? 0).toBeLessThanOrEqual(resourcesBefore.TCPServerWrap ?? 0);
    expect(resourcesAfter.TCPSocketWrap ?? 0).toBeLessThanOrEqual(resourcesBefore.TCPSocketWrap ?? 0);
  }, 300_000);

  test('a terminator that is never used holds nothing once its server is gone (WeakRef + gc)', async () => {
    const refs = await makeAndDrop('never');
    await settledHeap();
    expect(refs.map((ref) => ref.deref() === undefined)).toEqual([true, true, true]);
  });

  test('a terminator that terminated holds nothing once its server is gone (WeakRef + gc)', async () => {
    const refs = await makeAndDrop('after a tick');
    await settledHeap();
    expect(refs.map((ref) => ref.deref() === undefined)).toEqual([true, true, true]);
  });

  // terminate() right after createTerminator(), before the server's own connection count has
  // arrived: the drain cannot rule out idle connections, so it closes only the listener and
  // owes http's close() to the end of the grace; the server emits `close` first. Without
  // releaseConnectionsChecker (servers.ts) the server's connections-checking interval keeps
  // it alive for ever. This test fails when that function is removed.
  test('terminate() right after createTerminator(): the server is released too', async () => {
    const refs = await makeAndDrop('at once');
    await settledHeap();
    expect(refs.map((ref) => ref.deref() === undefined)).toEqual([true, true, true]);
  });

  test('the WeakRef check can fail: a terminator kept alive is still there after gc', async () => {
    const server = http.createServer();
    const terminator = createTerminator({ server });
    const ref = new WeakRef(terminator);
    await settledHeap();
    expect(ref.deref()).toBe(terminator);
    terminator.dispose();
  });
});

/** Makes a server (listened and closed) and its terminator in a scope of their own; returns weak references only. */
async function makeAndDrop(terminate: 'never' | 'at once' | 'after a tick'): Promise<Array<WeakRef<object>>> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await listen(server);
  const terminator = createTerminator({ server, gracefulTimeout: 1_000 });
  const refs = [
    new WeakRef<object>(server),
    new WeakRef<object>(terminator),
    new WeakRef<object>(internals(terminator).registry),
  ];
  if (terminate === 'never') await close(server);
  else {
    // After a tick the terminator knows the server had no connection when it was made.
    if (terminate === 'after a tick') await tick();
    await terminator.terminate();
  }
  return refs;
}

/**
 * The system clock, counting the timers lastcall has pending. Ours are unref'd, and
 * `process.getActiveResourcesInfo()` does not list unref'd timers: this does.
 */
class CountingClock implements Clock {
  readonly pending = new Set<unknown>();
  now(): number {
    return systemClock.now();
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const handle = systemClock.setTimeout(() => {
      this.pending.delete(handle);
      callback();
    }, ms);
    this.pending.add(handle);
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle);
    systemClock.clearTimeout(handle);
  }
}

/**
 * Every timer (Timeout, ref'd or not: Node's, the servers', lastcall's) created while recording,
 * with the stack that created it, until it fires or is cleared. Counting the process's active
 * timers instead would also count the test runner's own, which come and go on their schedule.
 */
class TimerWatch {
  created = 0;
  readonly #alive = new Map<number, string>();
  #recording = false;
  readonly #hook = createHook({
    init: (asyncId, type) => {
      if (!this.#recording || type !== 'Timeout') return;
      this.created++;
      this.#alive.set(asyncId, new Error('timer created here').stack ?? '');
    },
    destroy: (asyncId) => {
      this.#alive.delete(asyncId);
    },
  });

  start(): void {
    this.#recording = true;
    this.#hook.enable();
  }

  stopRecording(): void {
    this.#recording = false;
  }

  /** Waits up to `boundMs` for the recorded timers to end; returns the stacks of those still alive. */
  async settle(boundMs: number): Promise<string[]> {
    const until = Date.now() + boundMs;
    while (this.#alive.size > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    this.#hook.disable();
    return [...this.#alive.values()];
  }
}

/** `process.getActiveResourcesInfo()` as counts per kind. */
function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}
