// The figures both rolling-restart scenarios (behind a balancer, and of node:cluster workers) take
// alike from their runs: requests ok and failed, and the restarts' p99 latency against the steady
// state's.
import { type Summary, sum, summarize } from '../lib/stats.js';
import { fmt, x } from './format.js';

/** One run's request figures, as both scenarios record them. */
export interface RestartRunFigures {
  readonly ok: number;
  readonly failed: number;
  readonly steadyP99Ms: number;
  readonly restartP99Ms: number;
}

/** A row's request figures over its runs. */
export interface RestartFigures {
  readonly ok: number;
  readonly failed: Summary;
  readonly failedTotal: number;
  readonly steadyP99Ms: Summary;
  readonly restartP99Ms: Summary;
  /** Per run: restart p99 / steady p99. */
  readonly p99Ratio: Summary;
}

export function restartFigures(runs: readonly RestartRunFigures[]): RestartFigures {
  return {
    ok: sum(runs.map((r) => r.ok)),
    failed: summarize(runs.map((r) => r.failed)),
    failedTotal: sum(runs.map((r) => r.failed)),
    steadyP99Ms: summarize(runs.map((r) => r.steadyP99Ms)),
    restartP99Ms: summarize(runs.map((r) => r.restartP99Ms)),
    p99Ratio: summarize(runs.map((r) => r.restartP99Ms / r.steadyP99Ms)),
  };
}

/** The p99 target's measured text: the median ratio and the two median p99s it compares. */
export function p99Measured(row: RestartFigures): string {
  return `${x(row.p99Ratio.median)} (p99 ${fmt(row.restartP99Ms.median)} ms during restarts vs ${fmt(row.steadyP99Ms.median)} ms steady)`;
}
