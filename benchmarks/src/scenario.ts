// The contract of one scenario module: its plan per mode, who it measures, its run (in the child),
// its rows and target checks, and its page section. run.ts, child.ts and the page iterate them.
import type { Adapter } from './adapters/types.js';
import type { TargetCheck } from './checks.js';
import type { Mode } from './mode.js';
import type { Bar, ChartOptions } from './report/charts.js';
import type { BenchRun, RowBase } from './report/model.js';
import type { ChildResult } from './results.js';

/** What a mode measures: lastcall's rows with `own`, the peers' with `own` overridden by `peers`. */
export interface ModePlan<P> {
  readonly own: P;
  readonly peers?: Partial<P>;
}

/** The page's tools a section draws with: its charts land in docs/benchmarks/. */
export interface SectionTools {
  readonly run: BenchRun;
  /** Registers a chart and returns its markdown image line. */
  chart(file: string, bars: readonly Bar[], options: ChartOptions): string;
}

/** A scenario as written, with its own types: see `defineScenario`. */
export interface ScenarioDefinition<P, D, R extends RowBase> {
  /** Stable id: the `--only` name, the child's argument, the results' and plan's key. */
  readonly id: string;
  /** Per mode; a mode without an entry does not run the scenario. */
  readonly plans: { readonly [M in Mode]?: ModePlan<P> };
  /** The libraries measured, in page order (`peers` is already filtered by `--libs`). */
  adapters(mode: Mode, peers: readonly Adapter[]): readonly Adapter[];
  /** Node flags of the child. */
  readonly execArgv?: readonly string[];
  /** Open files the child needs: it is started under a raised `ulimit -n` (as high as allowed). */
  readonly openFiles?: number;
  /** The longest a child may take before the orchestrator kills it, in ms. */
  timeLimitMs(params: P): number;
  /** In the child: every repetition for one library, each result pushed to `sink` as it comes. */
  run(adapter: Adapter, params: P, sink: D[]): Promise<void>;
  /** Per-library rows, from which both the checks and the section are computed. */
  rows(results: readonly ChildResult<D>[], run: BenchRun): R[];
  /** lastcall's targets in this scenario; `smoke` selects the smoke bounds. */
  checks(rows: readonly R[], run: BenchRun): TargetCheck[];
  /** The page section (markdown, from `## ` on); undefined when there is nothing to show. */
  section(rows: readonly R[], tools: SectionTools): string | undefined;
  /** Why a target of this scenario is missed and what would close it, printed only on a miss. */
  whyMissed?(checkId: string): string;
}

/** A scenario with its types erased, as the orchestrator, the child and the page hold it. */
export interface Scenario {
  readonly id: string;
  readonly execArgv: readonly string[];
  readonly openFiles: number | undefined;
  plan(mode: Mode): ModePlan<unknown> | undefined;
  adapters(mode: Mode, peers: readonly Adapter[]): readonly Adapter[];
  paramsFor(mode: Mode, lastcall: boolean): unknown;
  timeLimitMs(params: unknown): number;
  run(adapter: Adapter, params: unknown, sink: unknown[]): Promise<void>;
  checks(run: BenchRun): TargetCheck[];
  section(tools: SectionTools): string | undefined;
  whyMissed(checkId: string): string | undefined;
}

/**
 * Erases a scenario's types behind `Scenario`. The casts are the one place where the JSON a child
 * receives or a results.json holds is taken to be this scenario's own params and data.
 */
export function defineScenario<P, D, R extends RowBase>(def: ScenarioDefinition<P, D, R>): Scenario {
  const rowsOf = (run: BenchRun): R[] =>
    def.rows(run.results.filter((result) => result.scenario === def.id) as ChildResult<D>[], run);
  return {
    id: def.id,
    execArgv: def.execArgv ?? [],
    openFiles: def.openFiles,
    plan: (mode) => def.plans[mode],
    adapters: (mode, peers) => def.adapters(mode, peers),
    paramsFor(mode, lastcall) {
      const plan = def.plans[mode];
      if (plan === undefined) throw new RangeError(`scenario "${def.id}" has no plan for mode "${mode}"`);
      return lastcall ? plan.own : { ...plan.own, ...plan.peers };
    },
    timeLimitMs: (params) => def.timeLimitMs(params as P),
    run: (adapter, params, sink) => def.run(adapter, params as P, sink as D[]),
    checks: (run) => def.checks(rowsOf(run), run),
    section: (tools) => def.section(rowsOf(tools.run), tools),
    whyMissed: (checkId) => def.whyMissed?.(checkId),
  };
}

/** This scenario's plan as the run recorded it (lastcall's rows), or undefined if it did not run. */
export function planOf<P>(run: BenchRun, id: string): P | undefined {
  return run.plan[id] as P | undefined;
}
