// Requests dropped while shutting down under keep-alive load: 32 keep-alive clients (in the
// clients helper process), terminate() a third of the way in. A refused connection is fine; a
// reset, a hang-up or a request never answered on an accepted connection is a drop.
import * as http from 'node:http';
import { LASTCALL } from '../adapters/index.js';
import type { Adapter } from '../adapters/types.js';
import { type Clients, runWithClients } from '../lib/helpers.js';
import { listen, now, within } from '../lib/net.js';
import { type Summary, sum, summarize } from '../lib/stats.js';
import { bar, causesNote, figureCells, fmt, setting, table } from '../report/format.js';
import { addCounts, type RowBase, rowBase } from '../report/model.js';
import { defineScenario, planOf } from '../scenario.js';

export interface DroppedParams {
  readonly runs: number;
  readonly clients: number;
  readonly durationMs: number;
  readonly terminateAtMs: number;
  readonly gracefulTimeoutMs: number;
}
export interface DroppedRun {
  readonly ok: number;
  readonly refused: number;
  /** Resets, hang-ups and requests still unanswered at the end, on accepted connections. */
  readonly dropped: number;
  readonly codes: Readonly<Record<string, number>>;
  readonly terminateMs: number;
  readonly resolved: boolean;
}
export interface DroppedRow extends RowBase {
  readonly dropped: Summary;
  readonly droppedTotal: number;
  readonly ok: number;
  readonly refused: number;
  readonly codes: Record<string, number>;
  readonly terminateMs: Summary;
  readonly unresolved: number;
}

/** The target: no request dropped in any run. */
export const DROPPED_PER_RUN = 0;

/** Handler latency, in ms: long enough that requests are in flight when terminate() is called. */
const HANDLER_MS = 2;

/**
 * The graceful timeout runs past the end of the load (0.5 s + 3 s > 1.5 s): a library is judged on
 * its drain, not on a forced close that would coincide with the clients' last requests.
 */
const LOAD = { clients: 32, durationMs: 1_500, terminateAtMs: 500, gracefulTimeoutMs: 3_000 } as const;

export const dropped = defineScenario<DroppedParams, DroppedRun, DroppedRow>({
  id: 'dropped',
  plans: {
    quick: { own: { ...LOAD, runs: 3 }, peers: { runs: 2 } },
    full: { own: { ...LOAD, runs: 10 }, peers: { runs: 5 } },
    smoke: { own: { ...LOAD, runs: 3 } },
  },
  adapters: (mode, peers) => (mode === 'smoke' ? [LASTCALL] : [LASTCALL, ...peers]),
  timeLimitMs: (p) => 10_000 + p.runs * (p.durationMs + p.gracefulTimeoutMs + 3_000),

  run: (adapter, params, sink) => runWithClients(params.runs, sink, (clients) => once(adapter, params, clients)),

  rows: (results) =>
    results.map((result) => ({
      ...rowBase(result),
      dropped: summarize(result.data.map((r) => r.dropped)),
      droppedTotal: sum(result.data.map((r) => r.dropped)),
      ok: sum(result.data.map((r) => r.ok)),
      refused: sum(result.data.map((r) => r.refused)),
      codes: addCounts(result.data.map((r) => r.codes)),
      terminateMs: summarize(result.data.map((r) => r.terminateMs)),
      unresolved: result.data.filter((r) => !r.resolved).length,
    })),

  checks(rows) {
    const own = rows.find((row) => row.adapter === LASTCALL.id);
    if (own === undefined) return [];
    const worst = own.runs > 0 ? own.dropped.max : Number.NaN;
    const met = own.runs > 0 && !own.error && worst === DROPPED_PER_RUN && own.unresolved === 0;
    return [
      {
        id: 'dropped',
        title: 'Dropped under keep-alive load',
        target: '0 in every run',
        measured: `${own.droppedTotal} in ${own.runs} runs (worst run ${worst}); ${own.ok} ok, ${own.refused} refused${own.error ? `; ${own.error}` : ''}`,
        met,
        gated: true,
        missBy: met ? undefined : `${own.droppedTotal} dropped`,
        timingOnly: false,
      },
    ];
  },

  section(rows, { run, chart }) {
    const p = planOf<DroppedParams>(run, 'dropped');
    if (rows.length === 0 || p === undefined) return undefined;
    return `## Requests dropped while shutting down under keep-alive load

${p.clients} keep-alive clients (one \`http.Agent\` each, one socket each) send requests back to back to a server whose handler answers after 2 ms; \`terminate()\` is called at ${p.terminateAtMs} ms of a ${p.durationMs} ms run, graceful timeout ${p.gracefulTimeoutMs} ms; ${setting(run, 'dropped', 'runs')} runs. A refused connection (ECONNREFUSED) is fine: the client backs off 10 ms and retries. A reset, a hang-up or a request left unanswered on an accepted connection is a drop; the client retries the first drop at once and backs off from the second in a row (1 ms, doubling up to 10 ms), so a library that fails every request cannot make it spin.

${table(
  [
    'library',
    'runs',
    'dropped per run: median',
    'range',
    'dropped in all runs',
    'ok',
    'refused',
    'drop causes',
    'terminate() ms: median',
  ],
  rows.map((row) => [
    ...figureCells(row, run, row.dropped),
    String(row.droppedTotal),
    String(row.ok),
    String(row.refused),
    causesNote(row.codes, '') || '-',
    fmt(row.terminateMs.median) + (row.unresolved > 0 ? ` (${row.unresolved} unresolved)` : ''),
  ]),
)}

${chart(
  'dropped.svg',
  rows.map((row) => bar(row, row.dropped)),
  { title: 'Requests dropped per run under keep-alive load (lower is better)', xTitle: 'dropped requests per run' },
)}`;
  },

  whyMissed: () =>
    "Why: a drop is a reset or a hang-up on an accepted connection; the table's drop causes say which. lastcall's drain answers requests that arrive during the idle grace with `Connection: close`; a drop means a request reached a connection after it was closed, which the idle grace exists to prevent. What would close it: find the run in results.json and the connection state at the drop (a shorter grace than the client's turnaround, or a connection closed outside the drain).",
});

async function once(adapter: Adapter, params: DroppedParams, clients: Clients): Promise<DroppedRun> {
  const server = http.createServer((_req, res) => {
    setTimeout(() => res.end('ok'), HANDLER_MS);
  });
  const attached = adapter.attach(server, { gracefulTimeoutMs: params.gracefulTimeoutMs });
  const port = await listen(server);

  const done = clients.next('load-done', params.durationMs + 5_000);
  clients.send({ type: 'load', port, clients: params.clients, durationMs: params.durationMs });
  let terminateStart = Number.NaN;
  let terminateEnd = Number.NaN;
  let termination: Promise<void> = Promise.resolve();
  const trigger = setTimeout(() => {
    terminateStart = now();
    termination = attached.terminate().then(() => {
      terminateEnd = now();
    });
  }, params.terminateAtMs);

  const outcome = await done;
  clearTimeout(trigger);
  await within(termination, Math.max(0, terminateStart + params.gracefulTimeoutMs + 2_000 - now()));
  const resolved = !Number.isNaN(terminateEnd);
  // Whatever the library left open goes now, so the next run starts clean.
  server.closeAllConnections();
  server.close();
  await attached.settle?.();
  return {
    ok: outcome.ok,
    refused: outcome.refused,
    dropped: outcome.dropped,
    codes: outcome.codes,
    terminateMs: resolved ? terminateEnd - terminateStart : now() - terminateStart,
    resolved,
  };
}
