// HTTP/2 (h2c): four client sessions, each with one stream in flight, then terminate(). Does
// every session get GOAWAY, do the in-flight streams complete, and how long after the last
// stream does terminate() resolve? Peers built for HTTP/1 are handed the h2c server as is.
import { LASTCALL } from '../adapters/index.js';
import { Clients } from '../lib/helpers.js';
import { type Summary, sum, summarize } from '../lib/stats.js';
import { errorNote, fmt, libraryCell, ms, range, TIMING_NOISE, table } from '../report/format.js';
import { type RowBase, rowBase, warm } from '../report/model.js';
import { defineScenario, planOf } from '../scenario.js';
import { DELAYS_MS, inflightRun } from './inflight.js';

export interface Http2Params {
  readonly runs: number;
  readonly gracefulTimeoutMs: number;
}
export interface Http2Run {
  readonly first: boolean;
  readonly sessions: number;
  readonly goaways: number;
  readonly streams: number;
  readonly streamsCompleted: number;
  readonly resolved: boolean;
  readonly terminateMs: number;
  /** Last stream's end to `terminate()` resolving, in ms (NaN when no stream completed). */
  readonly afterLastStreamMs: number;
  readonly error: string | undefined;
}
export interface Http2Row extends RowBase {
  readonly sessions: number;
  readonly goaways: number;
  readonly streams: number;
  readonly streamsCompleted: number;
  readonly unresolved: number;
  /** Over the warm runs. */
  readonly afterLastStreamMs: Summary;
  readonly firstMs: number;
  readonly terminateMs: Summary;
  readonly runErrors: string[];
}

/** The target, in ms: terminate() resolves this soon after the last stream ends. */
export const HTTP2_AFTER_LAST_STREAM_MS = 5;

export const http2 = defineScenario<Http2Params, Http2Run, Http2Row>({
  id: 'http2',
  plans: {
    quick: { own: { runs: 3, gracefulTimeoutMs: 1_000 }, peers: { runs: 1 } },
    full: { own: { runs: 5, gracefulTimeoutMs: 1_000 } },
    smoke: { own: { runs: 3, gracefulTimeoutMs: 1_000 } },
  },
  adapters: (mode, peers) => (mode === 'smoke' ? [LASTCALL] : [LASTCALL, ...peers]),
  timeLimitMs: (p) => 10_000 + p.runs * (p.gracefulTimeoutMs + 5_000),

  async run(adapter, params, sink) {
    const clients = new Clients();
    try {
      for (let run = 0; run < params.runs; run++) {
        const outcome = await inflightRun(true, clients, params.gracefulTimeoutMs, (server) =>
          adapter.attach(server, { gracefulTimeoutMs: params.gracefulTimeoutMs }),
        );
        sink.push({
          first: run === 0,
          sessions: DELAYS_MS.length,
          goaways: outcome.goaways,
          streams: DELAYS_MS.length,
          streamsCompleted: outcome.completed,
          resolved: outcome.resolved,
          terminateMs: outcome.terminateMs,
          afterLastStreamMs: outcome.afterLastMs,
          error: outcome.error,
        });
      }
    } finally {
      clients.stop();
    }
  },

  rows: (results) =>
    results.map((result) => ({
      ...rowBase(result),
      sessions: sum(result.data.map((r) => r.sessions)),
      goaways: sum(result.data.map((r) => r.goaways)),
      streams: sum(result.data.map((r) => r.streams)),
      streamsCompleted: sum(result.data.map((r) => r.streamsCompleted)),
      unresolved: result.data.filter((r) => !r.resolved).length,
      afterLastStreamMs: summarize(warm(result.data.filter((r) => r.resolved)).map((r) => r.afterLastStreamMs)),
      firstMs: result.data.find((r) => r.first)?.afterLastStreamMs ?? Number.NaN,
      terminateMs: summarize(result.data.map((r) => r.terminateMs)),
      runErrors: [...new Set(result.data.flatMap((r) => (r.error ? [r.error] : [])))],
    })),

  checks(rows) {
    const h2 = rows.find((row) => row.adapter === LASTCALL.id);
    if (h2 === undefined) return [];
    const max = h2.afterLastStreamMs.max;
    const delivered =
      h2.runs > 0 &&
      !h2.error &&
      h2.goaways === h2.sessions &&
      h2.streamsCompleted === h2.streams &&
      h2.unresolved === 0;
    const met = delivered && max <= HTTP2_AFTER_LAST_STREAM_MS;
    return [
      {
        id: 'http2',
        title: 'HTTP/2: GOAWAY, streams complete, prompt resolve',
        target: `GOAWAY to every session, every stream completes, resolves <= ${HTTP2_AFTER_LAST_STREAM_MS} ms after the last stream`,
        measured: `GOAWAY ${h2.goaways}/${h2.sessions}, streams ${h2.streamsCompleted}/${h2.streams}, after last stream median ${ms(h2.afterLastStreamMs.median)} max ${ms(max)} (first run ${ms(h2.firstMs)})${h2.error ? `; ${h2.error}` : ''}`,
        met,
        gated: true,
        missBy: met ? undefined : 'see measured',
        timingOnly: !met && delivered,
      },
    ];
  },

  section(rows, { run }) {
    const p = planOf<Http2Params>(run, 'http2');
    if (rows.length === 0 || p === undefined) return undefined;
    return `## HTTP/2

An h2c server (compatibility API) with four client sessions, each with one stream in flight (20 to 50 ms handlers); \`terminate()\` 5 ms after the last stream arrived, graceful timeout ${p.gracefulTimeoutMs} ms. Peers written for HTTP/1 are handed the HTTP/2 server as is. "after last stream" is over the runs after the first, as for overshoot.

${table(
  [
    'library',
    'runs',
    'sessions that got GOAWAY',
    'streams completed',
    'resolved',
    'after last stream ms: median',
    'range',
    'first run ms',
    'terminate() ms: median',
    'errors',
  ],
  rows.map((row) => [
    libraryCell(row, run) + errorNote(row),
    String(row.runs),
    `${row.goaways}/${row.sessions}`,
    `${row.streamsCompleted}/${row.streams}`,
    `${row.runs - row.unresolved}/${row.runs}`,
    fmt(row.afterLastStreamMs.median),
    range(row.afterLastStreamMs),
    fmt(row.firstMs),
    fmt(row.terminateMs.median),
    row.runErrors.join('; ') || '-',
  ]),
)}`;
  },

  whyMissed: () =>
    "Why: lastcall's path after the last response has no timer: the response ends with `Connection: close` (or the session's last stream ends after GOAWAY), Node closes the socket, the server emits `close`, the registry settles the connection (one with a response in flight at its own socket's `close`), and the promise resolves. " +
    TIMING_NOISE,
});
