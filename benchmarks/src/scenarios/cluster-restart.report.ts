// The cluster-restart scenario's page side: its params, runs and rows, the rows built from the
// runs, lastcall's target checks and the page section. The measuring side is cluster-restart.ts.
import { REQUEST_TIMEOUT_MS } from '@lastcall/e2e';
import { LASTCALL } from '../adapters/index.js';
import type { TargetCheck } from '../checks.js';
import {
  CLUSTER_GRACEFUL_MS,
  CLUSTER_IDLE_GRACE_MS,
  CLUSTER_WARMUP_MS,
  CLUSTER_WORK_MS,
  CLUSTER_WORKER_DEADLINE_MS,
} from '../lib/cluster.js';
import { type Summary, sum, summarize } from '../lib/stats.js';
import { bar, causesNote, errorNote, exitsNote, fmt, libraryCell, setting, table, x } from '../report/format.js';
import { addCounts, type BenchRun, type RowBase, rowBase } from '../report/model.js';
import { p99Measured, type RestartFigures, restartCells, restartColumns, restartFigures } from '../report/restart.js';
import type { ChildResult } from '../results.js';
import { planOf, type SectionTools } from '../scenario.js';

export interface ClusterParams {
  /** Whole runs per row (each: a fresh primary, workers and load client). */
  readonly runs: number;
  /** Workers on the one port. */
  readonly workers: number;
  /** Rolling restarts per run (SIGHUP to the primary, the next once the last has ended). */
  readonly restarts: number;
  /** Keep-alive clients (one connection each) for the whole run. */
  readonly clients: number;
  /** Steady-state load before the first restart, in ms. */
  readonly steadyMs: number;
}

export interface ClusterRun {
  readonly ok: number;
  readonly failed: number;
  readonly causes: Readonly<Record<string, number>>;
  readonly steadyP99Ms: number;
  readonly restartP99Ms: number;
  /** Successful requests from the first SIGHUP to the last restart's end. */
  readonly restartOk: number;
  /** Exit codes (or signal names) of the old workers the restarts stopped, counted. */
  readonly exits: Readonly<Record<string, number>>;
  /** Old workers killed at the primary's deadline. */
  readonly forced: number;
  /** Per old worker: shutdown message to exit, in ms. */
  readonly drainMs: readonly number[];
  /** Per restart: SIGHUP to the primary's report, in ms (its own figure). */
  readonly restartMs: readonly number[];
  /** Restart outcomes (`ok`, `failed`...), counted. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** The primary's exit code after SIGTERM at the end. */
  readonly primaryExit: number | string;
  /** Worker processes still alive once the primary had exited. */
  readonly left: number;
}

export interface ClusterRow extends RowBase, RestartFigures {
  readonly causes: Record<string, number>;
  readonly exits: Record<string, number>;
  readonly forced: number;
  readonly drainMs: Summary;
  readonly restartMs: Summary;
  readonly outcomes: Record<string, number>;
  readonly primaryExits: Record<string, number>;
  readonly left: number;
}

export const ID = 'cluster-restart';
/** Target: p99 latency during the restarts at most this many times the steady state's. */
export const CLUSTER_P99_RATIO = 2;

export const clusterRows = (results: readonly ChildResult<ClusterRun>[]): ClusterRow[] =>
  results.map((result) => {
    const runs = result.data;
    return {
      ...rowBase(result),
      ...restartFigures(runs),
      causes: addCounts(runs.map((r) => r.causes)),
      exits: addCounts(runs.map((r) => r.exits)),
      forced: sum(runs.map((r) => r.forced)),
      drainMs: summarize(runs.flatMap((r) => r.drainMs)),
      restartMs: summarize(runs.flatMap((r) => r.restartMs)),
      outcomes: addCounts(runs.map((r) => r.outcomes)),
      primaryExits: addCounts(runs.map((r) => ({ [String(r.primaryExit)]: 1 }))),
      left: sum(runs.map((r) => r.left)),
    };
  });

export function clusterChecks(rows: readonly ClusterRow[], run: BenchRun): TargetCheck[] {
  const own = rows.find((row) => row.adapter === LASTCALL.id);
  if (own === undefined) return [];
  const smoke = run.mode === 'smoke';
  const complete = own.runs > 0 && !own.error;
  const exitsClean = Object.keys(own.exits).every((code) => code === '0') && own.forced === 0;
  const failedMet = complete && own.failed.max === 0;
  const ratio = own.p99Ratio.median;
  const p99Met = complete && ratio <= CLUSTER_P99_RATIO;
  return [
    {
      id: `${ID}:failed`,
      title: 'node:cluster rolling restart: failed requests',
      target: '0 in every run',
      measured: `${own.failedTotal} in ${own.runs} runs (worst run ${count(own.failed.max)}); ${own.ok} ok${causesNote(own.causes)}; old workers' exits ${exitsNote(own.exits)}${exitsClean ? '' : ` (${own.forced} forced)`}${own.error ? `; ${own.error}` : ''}`,
      met: failedMet,
      gated: true,
      missBy: failedMet ? undefined : `${own.failedTotal} failed`,
      timingOnly: false,
    },
    {
      id: `${ID}:p99`,
      title: 'node:cluster rolling restart: p99 latency',
      target: `<= ${CLUSTER_P99_RATIO}x steady state (median of runs${smoke ? '; judged by the full run, smoke reports it' : ''})`,
      measured: p99Measured(own),
      met: p99Met,
      // One restart on a shared CI machine is too few requests for a p99 to mean much.
      gated: !smoke,
      missBy: p99Met ? undefined : `${x(ratio)} vs ${x(CLUSTER_P99_RATIO)}`,
      timingOnly: !p99Met && failedMet,
    },
  ] satisfies TargetCheck[];
}

export function clusterSection(rows: readonly ClusterRow[], { run, chart }: SectionTools): string | undefined {
  const p = planOf<ClusterParams>(run, ID);
  if (rows.length === 0 || p === undefined) return undefined;
  const measured = rows.filter((row) => row.runs > 0);
  return `## Rolling restart of node:cluster workers

A \`node:cluster\` primary with ${p.workers} workers on one port (the primary accepts and hands each connection to a worker), ${p.clients} keep-alive clients (one connection each, back to back) in a separate process for the whole run (a request fails on any status but 200, a reset, or no answer within ${REQUEST_TIMEOUT_MS} ms), ${p.steadyMs} ms of steady state, then ${setting(run, ID, 'restarts')} rolling restarts (SIGHUP to the primary, the next once the last has ended). In each, for every worker in turn, the primary forks the replacement, waits for its ready message (sent after a ${CLUSTER_WARMUP_MS} ms warm-up and \`listening\`), then sends the old worker a shutdown message and waits for it to exit (SIGKILL after ${CLUSTER_WORKER_DEADLINE_MS} ms). ${setting(run, ID, 'runs')} runs per row, each with a fresh primary. Each worker handles a request in ${CLUSTER_WORK_MS} ms. The rows are the workers' shutdown on that message, one service ([cluster-service.ts](../benchmarks/src/cluster-service.ts)) in one mode per library:

- **lastcall**: the primary is \`@lastcall/cluster\`'s \`createPrimary\`; each worker runs \`@lastcall/lifecycle\`'s coordinator with a terminator (graceful ${CLUSTER_GRACEFUL_MS} ms, \`KeepAliveDrain\` with the ${CLUSTER_IDLE_GRACE_MS} ms idle grace [docs/cluster.md](cluster.md) advises for workers) and \`clusterWorker\` (drain, disconnect from the primary, exit).
- Node's own \`server.close()\` (with \`closeIdleConnections()\`, \`closeAllConnections()\` at ${CLUSTER_GRACEFUL_MS} ms) and http-terminator (\`gracefulTerminationTimeout\` ${CLUSTER_GRACEFUL_MS} ms), each followed by \`process.exit(0)\`: their primary is a minimal one of the benchmark's own that does the same fork / ready / shutdown-message sequence, one worker at a time, so only the worker's shutdown differs between the rows.

p99 latencies are of successful requests, per run (the steady state's, and the restarts' from the first SIGHUP to the last restart's end); the table gives the median over runs. "Old workers' exits" are the exit codes of the workers the restarts stopped, as their primary saw them; "drain" is the shutdown message to that exit; "restart" is one whole rolling restart. "Primary" is the primary's exit code after SIGTERM at the end, and "left" counts worker processes still alive after it.

${table(
  [
    'shutdown',
    ...restartColumns('failure causes'),
    "old workers' exits",
    'drain ms: median',
    'restart ms: median',
    'primary',
    'left',
  ],
  rows.map((row) => [
    libraryCell(row, run) + errorNote(row),
    ...restartCells(row, count(row.failed.max)),
    `${exitsNote(row.exits)}${row.forced > 0 ? ` (${row.forced} forced)` : ''}`,
    fmt(row.drainMs.median),
    fmt(row.restartMs.median),
    exitsNote(row.primaryExits),
    String(row.left),
  ]),
)}

${
  measured.length === 0
    ? ''
    : `${chart(
        'cluster-restart-failed.svg',
        measured.map((row) => bar(row, row.failed)),
        {
          title: 'Failed requests per node:cluster rolling-restart run (lower is better)',
          xTitle: 'failed requests per run',
        },
      )}

${chart(
  'cluster-restart-p99.svg',
  measured.map((row) => bar(row, row.p99Ratio)),
  {
    title: 'p99 latency during the restarts / steady state, per run (lower is better)',
    xTitle: 'restart p99 / steady p99',
    marks: [{ x: CLUSTER_P99_RATIO, label: 'target' }],
  },
)}`
}`;
}

export function clusterWhyMissed(checkId: string): string {
  if (checkId === `${ID}:failed`)
    return "Why: a failed request is a reset, a refused connection or a timeout at the client; the table's failure causes say which. With lastcall each old worker stops accepting only after its replacement is ready, drains, then disconnects from the primary before it exits (so a connection being handed over is refused and given to another worker). What would close it: the e2e test `packages/cluster/test/rolling.e2e.test.ts`, which runs the same sequence with the primary's log, around the failure.";
  return 'Why: the restarts add a process start (JIT-cold code) and, on a 2-core machine, competing processes to every request; a p99 of a few ms moves with the machine. What would close it: compare the steady and restart p99 of the peer rows in the same run; if they move alike, it is the machine.';
}

/** A count as the page writes it (no decimals; n/a when there was no run). */
function count(value: number): string {
  return Number.isFinite(value) ? String(value) : 'n/a';
}
