// The figures both rolling-restart scenarios (behind a balancer, and of node:cluster workers) take
// alike from their runs: requests ok and failed, and the restarts' p99 latency against the steady
// state's.
import { type Summary, sum, summarize } from '../lib/stats.js';
import { causesNote, fmt, x } from './format.js';

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

/** The table columns both scenarios share, after the row's label: runs, requests, failures, p99s. */
export function restartColumns(causesTitle: string): string[] {
  return [
    'runs',
    'ok',
    'failed (all runs)',
    'failed per run: worst',
    causesTitle,
    'p99 steady ms',
    'p99 restarts ms',
    'p99 ratio',
  ];
}

/** A row's cells under `restartColumns`; `worst` is the worst run's failures as the scenario writes them. */
export function restartCells(
  row: RestartFigures & { readonly runs: number; readonly causes: Readonly<Record<string, number>> },
  worst: string,
): string[] {
  return [
    String(row.runs),
    String(row.ok),
    String(row.failedTotal),
    worst,
    causesNote(row.causes, '') || '-',
    fmt(row.steadyP99Ms.median),
    fmt(row.restartP99Ms.median),
    x(row.p99Ratio.median),
  ];
}
