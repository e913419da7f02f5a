// One benchmark run as written to results.json, and what every scenario's rows share. Each
// scenario module computes its own rows from the run, for its checks and its section alike (so the
// two can never disagree).
import { adapterById } from '../adapters/index.js';
import type { MachineInfo } from '../machine.js';
import type { Mode, PeerPlan, Plan } from '../mode.js';
import type { ChildResult } from '../results.js';

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
  /**
   * When each scenario was measured, by id: a scenario added by `--only` on top of a saved run
   * (see report/merge.ts) carries its own time. Absent in a run older than the field: then every
   * scenario was measured at `startedAt`.
   */
  readonly measured?: Readonly<Record<string, MeasuredAt>>;
}

/** One scenario's measurement: the run that made it. */
export interface MeasuredAt {
  readonly startedAt: string;
  readonly durationS: number;
  readonly mode: Mode;
  readonly node: string;
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

export function rowBase(result: ChildResult): RowBase {
  return {
    adapter: result.adapter,
    label: labelOf(result.adapter),
    runs: result.data.length,
    error: result.error?.split('\n')[0],
  };
}

/**
 * The runs after the first, when there are any: the first terminate() of a process also compiles
 * the shutdown path, and is shown on its own (`firstMs`). A child with a single run has only it.
 */
export function warm<T extends { first: boolean }>(runs: readonly T[]): T[] {
  const rest = runs.filter((run) => !run.first);
  return rest.length > 0 ? rest : [...runs];
}

/** Close codes or drop causes of every run, added up. */
export function addCounts(all: ReadonlyArray<Readonly<Record<string, number>>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const counts of all) for (const [key, count] of Object.entries(counts)) total[key] = (total[key] ?? 0) + count;
  return total;
}
