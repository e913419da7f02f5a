// Adds the scenarios of a partial run (`--only=...`) to a saved run: their results, plans and
// measurement times replace the saved ones, every other scenario's stay as they were, so one
// scenario can be measured on top of a full run that has already happened.
import type { BenchRun, MeasuredAt } from './model.js';

/** When and how each scenario of `run` was measured: its own record, or the run's for a run without one. */
export function measuredOf(run: BenchRun): Record<string, MeasuredAt> {
  if (run.measured !== undefined) return { ...run.measured };
  const whole: MeasuredAt = {
    startedAt: run.startedAt,
    durationS: run.durationS,
    mode: run.mode,
    node: run.machine.node,
  };
  return Object.fromEntries([...new Set(run.results.map((result) => result.scenario))].map((id) => [id, whole]));
}

/** What this run measured, scenario by scenario, all at its own start. */
export function measuredNow(run: BenchRun, ids: readonly string[]): Record<string, MeasuredAt> {
  const at: MeasuredAt = { startedAt: run.startedAt, durationS: run.durationS, mode: run.mode, node: run.machine.node };
  return Object.fromEntries(ids.map((id) => [id, at]));
}

function replaced(
  saved: Readonly<Record<string, unknown>>,
  fresh: Readonly<Record<string, unknown>>,
  ids: readonly string[],
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...saved };
  for (const id of ids) {
    if (fresh[id] === undefined) delete merged[id];
    else merged[id] = fresh[id];
  }
  return merged;
}

/**
 * `saved` with scenarios `ids` taken from `fresh`. The page's frame (its date, duration, machine)
 * stays the saved run's, and so do the versions of the libraries it already names, so every
 * other section renders as it did; `measured` records which scenario was measured when.
 */
export function mergeRuns(saved: BenchRun, fresh: BenchRun, ids: readonly string[]): BenchRun {
  if (saved.mode !== fresh.mode)
    throw new RangeError(`cannot merge a ${fresh.mode} run into a saved ${saved.mode} run: the page would mix modes`);
  return {
    ...saved,
    versions: { ...fresh.versions, ...saved.versions },
    plan: replaced(saved.plan, fresh.plan, ids),
    peerPlan: replaced(saved.peerPlan, fresh.peerPlan, ids),
    results: [...saved.results.filter((result) => !ids.includes(result.scenario)), ...fresh.results],
    measured: { ...measuredOf(saved), ...measuredNow(fresh, ids) },
  };
}
