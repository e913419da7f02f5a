// Heap bytes per tracked idle keep-alive connection, over a bare server: heapUsed after
// global.gc() before and after N connections (held by another process), bare and with the
// library, in the same process in alternating order. The child runs with --expose-gc.
import * as http from 'node:http';
import { LASTCALL } from '../adapters/index.js';
import type { Adapter } from '../adapters/types.js';
import { Holder } from '../lib/helpers.js';
import { listen, sleep, within } from '../lib/net.js';
import { type Summary, summarize } from '../lib/stats.js';
import { bar, figureCells, fmt, setting, table } from '../report/format.js';
import { type RowBase, rowBase } from '../report/model.js';
import { defineScenario, planOf } from '../scenario.js';

export interface MemoryParams {
  readonly connections: number;
  readonly reps: number;
}
export interface MemoryPair {
  /** Heap bytes per idle keep-alive connection, after `global.gc()`. */
  readonly bareBytes: number;
  readonly libBytes: number;
  readonly overBare: number;
}
export interface MemoryRow extends RowBase {
  readonly overBare: Summary;
  readonly bareBytes: Summary;
}

/** The target, in heap bytes per tracked idle connection over bare, judged by the full run. */
export const MEMORY_BYTES = 120;
/**
 * Smoke's bound: the previous target. The core is being slimmed towards 120 bytes (issue 9); until
 * then smoke guards against a regression (a per-connection array or closure shows as hundreds of
 * bytes), and the full run on docs/benchmarks.md judges the target.
 */
export const SMOKE_MEMORY_BYTES = 300;

const KEEP_ALIVE_MS = 120_000;
/** Enough connections to run every code path of a connection's life once. */
const WARM_UP_CONNECTIONS = 200;

export const memory = defineScenario<MemoryParams, MemoryPair, MemoryRow>({
  id: 'memory',
  plans: {
    quick: { own: { connections: 2_000, reps: 3 }, peers: { reps: 1 } },
    full: { own: { connections: 5_000, reps: 6 }, peers: { reps: 4 } },
    smoke: { own: { connections: 2_000, reps: 3 } },
  },
  adapters: (mode, peers) => (mode === 'smoke' ? [LASTCALL] : [LASTCALL, ...peers]),
  execArgv: ['--expose-gc'],
  timeLimitMs: (p) => 30_000 + (p.reps + 1) * 2 * 15_000,

  async run(adapter, params, sink) {
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
  },

  rows: (results) =>
    results.map((result) => ({
      ...rowBase(result),
      overBare: summarize(result.data.map((pair) => pair.overBare)),
      bareBytes: summarize(result.data.map((pair) => pair.bareBytes)),
    })),

  checks(rows, run) {
    const own = rows.find((row) => row.adapter === LASTCALL.id);
    if (own === undefined) return [];
    const smoke = run.mode === 'smoke';
    const bound = smoke ? SMOKE_MEMORY_BYTES : MEMORY_BYTES;
    const bytes = own.overBare.median;
    const met = own.runs > 0 && bytes <= bound;
    return [
      {
        id: 'memory',
        title: 'Heap per tracked idle connection',
        target: `<= ${bound} bytes over bare${smoke ? ` (smoke bound; the target is ${MEMORY_BYTES})` : ''}`,
        measured: `${bytes.toFixed(0)} bytes (range ${own.overBare.min.toFixed(0)} to ${own.overBare.max.toFixed(0)}, ${own.runs} pairs)`,
        met,
        gated: true,
        missBy: met ? undefined : `+${(bytes - bound).toFixed(0)} bytes`,
        timingOnly: !met && own.runs > 0,
      },
    ];
  },

  section(rows, { run, chart }) {
    const p = planOf<MemoryParams>(run, 'memory');
    if (rows.length === 0 || p === undefined) return undefined;
    return `## Memory per tracked idle connection

${p.connections} idle keep-alive connections held by a helper process; the child (run with \`--expose-gc\`) reads \`heapUsed\` after two \`global.gc()\` before and after opening them, on a bare server and on one with the library attached, alternating, ${setting(run, 'memory', 'reps')} pairs after a warm-up pair of 200 connections. The figure is heap bytes per connection over bare.

${table(
  ['library', 'pairs', 'bytes per connection over bare: median', 'range', 'bare server, bytes per connection'],
  rows.map((row) => [...figureCells(row, run, row.overBare), fmt(row.bareBytes.median)]),
)}

${chart(
  'memory.svg',
  rows.map((row) => bar(row, row.overBare)),
  {
    title: 'Heap bytes per tracked idle connection over a bare server (lower is better)',
    xTitle: 'bytes per connection',
    marks: [{ x: MEMORY_BYTES, label: `target ${MEMORY_BYTES} B` }],
  },
)}`;
  },

  whyMissed: () =>
    'Why: per idle connection the registry keeps a `TrackedConnection` (no `responses` array while nothing is in flight) and a `Map` entry; a socket gets a `close` listener only while draining (before that, records of closed sockets are dropped lazily as new connections arrive). ' +
    'What would close it: fewer fields per record (the HTTP/2 and TLS fields only where they apply).',
});
function collectedHeap(): number {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('the memory scenario needs node --expose-gc');
  // Twice: the first pass can leave garbage that only a second one finds (weak callbacks).
  gc();
  gc();
  return process.memoryUsage().heapUsed;
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
