// One benchmark run as written to results.json, and the per-library rows both the page and the
// target checks are computed from (so the two can never disagree).
import { adapterById } from '../adapters/index.js';
import { type Summary, sum, summarize } from '../lib/stats.js';
import type { MachineInfo } from '../machine.js';
import type { Mode, PeerPlan, Plan } from '../plan.js';
import type { ChildResult, ScenarioId } from '../results.js';

export interface BenchRun {
  readonly mode: Mode;
  readonly startedAt: string;
  readonly durationS: number;
  readonly machine: MachineInfo;
  readonly versions: Readonly<Record<string, string>>;
  /** lastcall's rows ran with `plan`; the peers' with `plan` overridden by `peerPlan`. */
  readonly plan: Plan;
  readonly peerPlan: PeerPlan;
  readonly results: readonly ChildResult[];
}

export function resultsOf<S extends ScenarioId>(run: BenchRun, scenario: S): ChildResult<S>[] {
  return run.results.filter((result): result is ChildResult<S> => result.scenario === scenario);
}

export function resultOf<S extends ScenarioId>(
  run: BenchRun,
  scenario: S,
  adapter: string,
): ChildResult<S> | undefined {
  return resultsOf(run, scenario).find((result) => result.adapter === adapter);
}

export function labelOf(adapterId: string): string {
  return adapterById(adapterId).label;
}

export function isLastcall(adapterId: string): boolean {
  return adapterById(adapterId).lastcall;
}

/** Common to every row: which library, how many runs, and the child's error if any. */
export interface RowBase {
  readonly adapter: string;
  readonly label: string;
  readonly runs: number;
  readonly error: string | undefined;
}

function base(result: ChildResult): RowBase {
  return {
    adapter: result.adapter,
    label: labelOf(result.adapter),
    runs: result.data.length,
    error: result.error?.split('\n')[0],
  };
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

export function droppedRows(run: BenchRun): DroppedRow[] {
  return resultsOf(run, 'dropped').map((result) => {
    const codes: Record<string, number> = {};
    for (const r of result.data)
      for (const [code, count] of Object.entries(r.codes)) codes[code] = (codes[code] ?? 0) + count;
    return {
      ...base(result),
      dropped: summarize(result.data.map((r) => r.dropped)),
      droppedTotal: sum(result.data.map((r) => r.dropped)),
      ok: sum(result.data.map((r) => r.ok)),
      refused: sum(result.data.map((r) => r.refused)),
      codes,
      terminateMs: summarize(result.data.map((r) => r.terminateMs)),
      unresolved: result.data.filter((r) => !r.resolved).length,
    };
  });
}

/**
 * The runs after the first, when there are any: the first terminate() of a process also compiles
 * the shutdown path, and is shown on its own (`firstMs`). A child with a single run has only it.
 */
function warm<T extends { first: boolean }>(runs: readonly T[]): T[] {
  const rest = runs.filter((run) => !run.first);
  return rest.length > 0 ? rest : [...runs];
}

export interface OvershootRow extends RowBase {
  /** Over the warm runs. */
  readonly overshootMs: Summary;
  /** The child's first run. */
  readonly firstMs: number;
  readonly completed: number;
  readonly inFlight: number;
  readonly unresolved: number;
}

export function overshootRows(run: BenchRun): OvershootRow[] {
  return resultsOf(run, 'overshoot').map((result) => ({
    ...base(result),
    overshootMs: summarize(warm(result.data.filter((r) => r.resolved)).map((r) => r.overshootMs)),
    firstMs: result.data.find((r) => r.first)?.overshootMs ?? Number.NaN,
    completed: sum(result.data.map((r) => r.completed)),
    inFlight: sum(result.data.map((r) => r.inFlight)),
    unresolved: result.data.filter((r) => !r.resolved).length,
  }));
}

export interface IdleRow extends RowBase {
  readonly connections: number;
  readonly libMs: Summary;
  readonly floorMs: Summary;
  readonly ratio: Summary;
  readonly unresolved: number;
}

export function idleRows(run: BenchRun): IdleRow[] {
  return resultsOf(run, 'idle').flatMap((result) =>
    run.plan.idle.counts.map((connections) => {
      const pairs = result.data.filter((pair) => pair.connections === connections);
      return {
        ...base(result),
        runs: pairs.length,
        connections,
        libMs: summarize(pairs.map((pair) => pair.libMs)),
        floorMs: summarize(pairs.map((pair) => pair.floorMs)),
        ratio: summarize(pairs.map((pair) => pair.ratio)),
        unresolved: pairs.filter((pair) => !pair.resolved).length,
      };
    }),
  );
}

export interface CpuRow extends RowBase {
  readonly ratio: Summary;
  readonly bareUs: Summary;
  readonly libUs: Summary;
  readonly rpsRatio: Summary;
}

export function cpuRows(run: BenchRun): CpuRow[] {
  return resultsOf(run, 'cpu').map((result) => ({
    ...base(result),
    ratio: summarize(result.data.map((pair) => pair.ratio)),
    bareUs: summarize(result.data.map((pair) => pair.bareUs)),
    libUs: summarize(result.data.map((pair) => pair.libUs)),
    rpsRatio: summarize(result.data.map((pair) => pair.libRps / pair.bareRps)),
  }));
}

export interface MemoryRow extends RowBase {
  readonly overBare: Summary;
  readonly bareBytes: Summary;
}

export function memoryRows(run: BenchRun): MemoryRow[] {
  return resultsOf(run, 'memory').map((result) => ({
    ...base(result),
    overBare: summarize(result.data.map((pair) => pair.overBare)),
    bareBytes: summarize(result.data.map((pair) => pair.bareBytes)),
  }));
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

export function http2Rows(run: BenchRun): Http2Row[] {
  return resultsOf(run, 'http2').map((result) => ({
    ...base(result),
    sessions: sum(result.data.map((r) => r.sessions)),
    goaways: sum(result.data.map((r) => r.goaways)),
    streams: sum(result.data.map((r) => r.streams)),
    streamsCompleted: sum(result.data.map((r) => r.streamsCompleted)),
    unresolved: result.data.filter((r) => !r.resolved).length,
    afterLastStreamMs: summarize(warm(result.data.filter((r) => r.resolved)).map((r) => r.afterLastStreamMs)),
    firstMs: result.data.find((r) => r.first)?.afterLastStreamMs ?? Number.NaN,
    terminateMs: summarize(result.data.map((r) => r.terminateMs)),
    runErrors: [...new Set(result.data.flatMap((r) => (r.error ? [r.error] : [])))],
  }));
}

export interface WebSocketRow extends RowBase {
  readonly clients: number;
  readonly codes: Record<string, number>;
  readonly unresolved: number;
  readonly afterLastCloseMs: Summary;
  readonly terminateMs: Summary;
  readonly runErrors: string[];
}

export function webSocketRows(run: BenchRun): WebSocketRow[] {
  return resultsOf(run, 'websocket').map((result) => {
    const codes: Record<string, number> = {};
    for (const r of result.data)
      for (const [code, count] of Object.entries(r.codes)) codes[code] = (codes[code] ?? 0) + count;
    return {
      ...base(result),
      clients: sum(result.data.map((r) => r.clients)),
      codes,
      unresolved: result.data.filter((r) => !r.resolved).length,
      afterLastCloseMs: summarize(result.data.filter((r) => r.resolved).map((r) => r.afterLastCloseMs)),
      terminateMs: summarize(result.data.map((r) => r.terminateMs)),
      runErrors: [...new Set(result.data.flatMap((r) => (r.error ? [r.error] : [])))],
    };
  });
}
