// The reconnect-storm scenario's page side: its params, variants, runs and rows, the rows built
// from the runs, lastcall's target checks and the page section. The measuring side is
// reconnect-storm.ts.
import { notMeasured, type TargetCheck } from '../checks.js';
import { type Summary, summarize } from '../lib/stats.js';
import { exitsNote, fmt, range, table } from '../report/format.js';
import { addCounts, type RowBase, rowBase } from '../report/model.js';
import type { ChildResult } from '../results.js';
import { planOf, type SectionTools } from '../scenario.js';

export interface StormParams {
  /** Runs per variant (each: a fresh HAProxy, backends and clients). */
  readonly runs: number;
  /** WebSocket clients through HAProxy, about half on each backend. */
  readonly clients: number;
  /** The leaving backend's graceful timeout (ms); WebSocketDrain's window is at most half of it. */
  readonly gracefulTimeoutMs: number;
}

export type Variant = 'at-once' | 'spread' | 'sized';
export const VARIANTS: readonly Variant[] = ['at-once', 'spread', 'sized'];

/**
 * The reconnects per second the survivor takes comfortably, for the sized row: about half of what
 * the 2-core machine measured sustains at once (1,000 in 2.5 to 3 s, with 100 ms bursts of 150 to
 * 250), so that the reconnects' own bunching (about twice the planned rate) stays near 1/5 of the
 * at-once peak.
 */
export const STORM_COMFORTABLE_RATE = 200;

/** WebSocketDrain's `spread` per variant; undefined: its default (1000 ms). */
export function spreadOf(variant: Variant, params: StormParams): number | undefined {
  if (variant === 'at-once') return 0;
  if (variant === 'spread') return undefined;
  // About half of the clients are on the leaving backend.
  return Math.round(((params.clients / 2) * 1000) / STORM_COMFORTABLE_RATE);
}

function labelOf(variant: Variant, spread: number): string {
  if (variant === 'at-once') return 'WebSocketDrain({ spread: 0 }): all at once';
  if (variant === 'spread') return 'WebSocketDrain: spread 1000 ms (default)';
  return `WebSocketDrain({ spread: ${spread} }): sized, clients closed / ${STORM_COMFORTABLE_RATE} per s`;
}

export interface StormRun {
  readonly variant: Variant;
  /** The `spread` asked for (ms; the default's 1000 for the default). */
  readonly spread: number;
  /** Clients the leaving backend had when it began to shut down. */
  readonly leaving: number;
  /** Of them, reconnects the survivor accepted (through HAProxy) before the deadline. */
  readonly reconnected: number;
  /** The most reconnects the survivor accepted in any 100 ms. */
  readonly peak: number;
  /** The shutdown's start to the survivor's last reconnect, in ms. */
  readonly lastMs: number;
  readonly codes: Record<string, number>;
  /** Reconnect attempts that failed (HAProxy found no backend), each retried 50 ms later. */
  readonly failedAttempts: number;
  readonly skipped?: string;
  readonly error?: string;
}

export interface StormRow extends RowBase {
  readonly variant: Variant;
  readonly spread: number;
  readonly leaving: number;
  readonly reconnected: number;
  readonly peak: Summary;
  readonly lastMs: Summary;
  readonly codes: Record<string, number>;
  readonly skipped: string | undefined;
}

/** The target: the spread peak at most this share of the at-once peak. */
export const STORM_PEAK_RATIO = 1 / 5;
export const WINDOW_MS = 100;

export const stormRows = (results: readonly ChildResult<StormRun>[]): StormRow[] =>
  results.flatMap((result) =>
    VARIANTS.map((variant) => {
      const runs = result.data.filter((r) => r.variant === variant && r.skipped === undefined);
      const skipped = result.data.find((r) => r.variant === variant && r.skipped !== undefined)?.skipped;
      const errors = runs.flatMap((r) => (r.error === undefined ? [] : [r.error]));
      return {
        ...rowBase(result),
        label: labelOf(variant, runs[0]?.spread ?? Number.NaN),
        error: rowBase(result).error ?? errors[0],
        runs: runs.length,
        variant,
        spread: runs[0]?.spread ?? Number.NaN,
        leaving: runs.reduce((n, r) => n + r.leaving, 0),
        reconnected: runs.reduce((n, r) => n + r.reconnected, 0),
        peak: summarize(runs.map((r) => r.peak)),
        lastMs: summarize(runs.map((r) => r.lastMs)),
        codes: addCounts(runs.map((r) => r.codes)),
        skipped,
      };
    }),
  );

export function stormChecks(rows: readonly StormRow[]): TargetCheck[] {
  const sized = rows.find((row) => row.variant === 'sized');
  const spread = rows.find((row) => row.variant === 'spread');
  const atOnce = rows.find((row) => row.variant === 'at-once');
  if (sized === undefined || spread === undefined || atOnce === undefined) return [];
  const ratioTitle =
    'Reconnect storm behind HAProxy: peak reconnects per 100 ms, spread sized for the count vs at once';
  const ratioTarget = `the sized spread's median peak (spread = clients closed / ${STORM_COMFORTABLE_RATE} per s) <= ${STORM_PEAK_RATIO} of the at-once median peak (reported, not gated: on a shared machine both peaks are the machine's, and the smoke run's 200 closed miss it, 0.21 to 0.31 in six runs)`;
  const allTitle = 'Reconnect storm behind HAProxy: every client reconnected before the deadline';
  const allTarget =
    'every client the leaving backend closed reconnects to the survivor before its deadline, close 1001';
  if (sized.skipped !== undefined) {
    return [
      notMeasured('reconnect-storm:peak', ratioTitle, ratioTarget, sized.skipped),
      notMeasured('reconnect-storm:all', allTitle, allTarget, sized.skipped),
    ];
  }
  const complete = rows.every(
    (row) =>
      row.runs > 0 && row.reconnected === row.leaving && row.error === undefined && row.codes['1001'] === row.leaving,
  );
  const ratio = sized.peak.median / atOnce.peak.median;
  const met = ratio <= STORM_PEAK_RATIO;
  const defaultRatio = spread.peak.median / atOnce.peak.median;
  return [
    {
      id: 'reconnect-storm:peak',
      title: ratioTitle,
      target: ratioTarget,
      // The default's row too, so that a smoke run's line has all three.
      measured: `median peak ${fmt(sized.peak.median)} spread ${sized.spread} ms vs ${fmt(atOnce.peak.median)} at once (${ratio.toFixed(2)}); default 1000 ms: ${fmt(spread.peak.median)} (${defaultRatio.toFixed(2)})`,
      met,
      // Timing on a machine shared with other work: reported, like CPU; the page has the figures.
      // Not gated in smoke either: with 400 clients (200 closed, the sized spread the default's
      // 1000 ms) the ratio was 0.21 to 0.31 in six runs (one beside a CPU burner), since a storm
      // of 200 is absorbed within a few hundred ms even at once; with 2,000, 0.13 to 0.20.
      gated: false,
      missBy: met ? undefined : `ratio ${ratio.toFixed(2)}`,
      timingOnly: true,
    },
    {
      id: 'reconnect-storm:all',
      title: allTitle,
      target: allTarget,
      measured: rows
        .map((row) => `${row.variant}: ${row.reconnected}/${row.leaving}${row.error ? ` (${row.error})` : ''}`)
        .join('; '),
      met: complete,
      gated: true,
      missBy: complete ? undefined : 'see measured',
      timingOnly: false,
    },
  ];
}

export function stormSection(rows: readonly StormRow[], { run }: SectionTools): string | undefined {
  const p = planOf<StormParams>(run, 'reconnect-storm');
  if (rows.length === 0 || p === undefined) return undefined;
  return `## Reconnect storm

${p.clients} WebSocket clients (\`ws\`, in a helper process) through a real HAProxy (\`mode http\`, \`balance roundrobin\`, \`option redispatch\`) to two backends, each an HTTP server with a \`ws\` WebSocketServer in a Node process of its own ([storm-backend.ts](../benchmarks/src/storm-backend.ts)), so that the survivor's accepts never wait behind the leaving backend's closes, about half of the clients on each. The first backend shuts down (\`terminate()\` with \`KeepAliveDrain\` and \`WebSocketDrain\`, graceful timeout ${p.gracefulTimeoutMs} ms); every client it closes reconnects at once, without a back-off of its own (the worst case), and HAProxy sends it to the survivor, since the leaving backend's listener is closed. Measured on the survivor: the most reconnects it accepted in any ${WINDOW_MS} ms (a sliding window), and when the last one came. Rows: \`spread: 0\` (every close frame at once, as 0.2 did), \`WebSocketDrain\`'s default spread (1000 ms; at most half the graceful time left), and a spread sized for the count: _clients closed / ${STORM_COMFORTABLE_RATE} per s_ (${fmt(((p.clients / 2) * 1000) / STORM_COMFORTABLE_RATE)} ms here), ${STORM_COMFORTABLE_RATE} reconnects per second being what the survivor takes comfortably on the 2-core machine measured. The target (the sized row's peak at most ${STORM_PEAK_RATIO} of the at-once peak) is judged on that row. The survivor can only accept so many reconnects per 100 ms: the at-once peak is that capacity (and it is lower on a loaded machine); the spread peak is _clients closed / window_ per 100 ms while the machine keeps up with it, and the whole storm once it does not (the default's row with a thousand clients closed). ${p.runs} run(s) per row, each with a fresh HAProxy, backends and clients.

${table(
  [
    'drain',
    'runs',
    'clients closed',
    'reconnected before the deadline',
    `peak reconnects per ${WINDOW_MS} ms: median`,
    'range',
    'last reconnect ms: median',
    'close codes',
  ],
  rows.map((row) => [
    row.label + (row.error ? ` (error: ${row.error})` : '') + (row.skipped ? ` (not measured: ${row.skipped})` : ''),
    String(row.runs),
    String(row.leaving),
    `${row.reconnected}/${row.leaving}`,
    fmt(row.peak.median),
    range(row.peak),
    fmt(row.lastMs.median),
    exitsNote(row.codes),
  ]),
)}`;
}

export const stormWhyMissed = (): string =>
  `Why: with the spread, the survivor sees about clients / window reconnects per ms, so the spread peak cannot go below clients closed x 100 / window, and the reconnects bunch (about twice that, measured; the clients already see their close frames bunched, so it is the balancer and the clients' process on a busy machine, not the plan). The at-once peak is the machine's capacity: a loaded machine spreads the at-once storm itself, and its peak is low, the ratio high; once the planned rate is above what the machine takes, the reconnects queue and the spread changes nothing (the default 1000 ms with 1,000 clients closed: 100 per 100 ms planned, about what this machine absorbs at once). The spread a server needs is therefore about clients / (the survivor's comfortable reconnect rate): the sized row uses ${STORM_COMFORTABLE_RATE} per s, about half of what the 2-core machine measured sustains at once; the default 1000 ms suits a few hundred connections per process. The close frames themselves keep to the plan: a blocked event loop moves the rest of it later instead of sending the backlog at once.`;
