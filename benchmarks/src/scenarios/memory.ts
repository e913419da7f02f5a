// Heap bytes per tracked idle keep-alive connection, over a bare server: heapUsed after
// global.gc() before and after N connections (held by another process), bare and with the
// library, in the same process in alternating order. The child runs with --expose-gc.
import * as http from 'node:http';
import type { Adapter } from '../adapters/types.js';
import { Holder } from '../lib/helpers.js';
import { listen, sleep, within } from '../lib/net.js';
import type { MemoryPair, MemoryParams } from '../results.js';

const KEEP_ALIVE_MS = 120_000;
/** Enough connections to run every code path of a connection's life once. */
const WARM_UP_CONNECTIONS = 200;

function collectedHeap(): number {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('the memory scenario needs node --expose-gc');
  // Twice: the first pass can leave garbage that only a second one finds (weak callbacks).
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export async function runMemory(adapter: Adapter, params: MemoryParams, sink: MemoryPair[]): Promise<void> {
  const holder = new Holder();
  try {
    // Warm-up, not recorded. The first run of any code path puts its bytecode on the heap; and
    // Node keeps up to 1000 freed HTTP parsers in a pool, so a first measurement of N >= 1000
    // would allocate parsers that every later one reuses: the pool is filled first.
    await measure(undefined, holder, params.connections);
    await measure(adapter, holder, WARM_UP_CONNECTIONS);
    for (let rep = 0; rep < params.reps; rep++) {
      const bareFirst = rep % 2 === 0;
      const first = await measure(bareFirst ? undefined : adapter, holder, params.connections);
      const second = await measure(bareFirst ? adapter : undefined, holder, params.connections);
      const bareBytes = bareFirst ? first : second;
      const libBytes = bareFirst ? second : first;
      sink.push({ bareBytes, libBytes, overBare: libBytes - bareBytes });
    }
  } finally {
    holder.stop();
  }
}

/** Heap bytes per connection on a fresh server, bare when `adapter` is undefined. */
async function measure(adapter: Adapter | undefined, holder: Holder, connections: number): Promise<number> {
  const server = http.createServer((_req, res) => res.end('ok'));
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  adapter?.attach(server, { gracefulTimeoutMs: 10_000 });
  const port = await listen(server);
  const before = collectedHeap();
  await holder.open(port, connections);
  await sleep(50);
  const after = collectedHeap();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await holder.drain(5_000);
  // The next measurement's baseline must not still hold this server's sockets.
  await within(closed, 5_000);
  await sleep(20);
  return (after - before) / connections;
}
