// How much each mode measures. Quick (the default) fits in about 3 minutes on 2 cores; --full
// repeats more; --smoke measures lastcall's own rows only, for CI.
import type { ScenarioId, ScenarioTypes } from './results.js';

export type Mode = 'quick' | 'full' | 'smoke';

export type Plan = { readonly [S in ScenarioId]: ScenarioTypes[S]['params'] };
/** Lighter settings for the peers' rows, where a mode needs its time for lastcall's own rows. */
export type PeerPlan = { readonly [S in ScenarioId]?: Partial<ScenarioTypes[S]['params']> };

/**
 * The graceful timeout runs past the end of the load (0.5 s + 3 s > 1.5 s): a library is judged on
 * its drain, not on a forced close that would coincide with the clients' last requests.
 */
const DROPPED = { clients: 32, durationMs: 1_500, terminateAtMs: 500, gracefulTimeoutMs: 3_000 } as const;
/** Past Node's default keepAliveTimeout (5 s), so the baseline's wait for it shows in full. */
const OVERSHOOT_GRACE_MS = 8_000;

export const PLANS: Readonly<Record<Mode, { readonly own: Plan; readonly peers: PeerPlan }>> = {
  quick: {
    own: {
      dropped: { ...DROPPED, runs: 3 },
      overshoot: { runs: 20, budgetMs: 2_000, gracefulTimeoutMs: OVERSHOOT_GRACE_MS },
      idle: { counts: [1_000, 5_000], reps: 2, gracefulTimeoutMs: 5_000 },
      cpu: { rounds: 6, requests: 2_000, concurrency: 8 },
      memory: { connections: 2_000, reps: 3 },
      http2: { runs: 3, gracefulTimeoutMs: 1_000 },
      websocket: { runs: 3, clients: 8, gracefulTimeoutMs: 1_000 },
    },
    peers: {
      dropped: { runs: 2 },
      overshoot: { budgetMs: 700 },
      idle: { reps: 1 },
      cpu: { rounds: 3 },
      memory: { reps: 1 },
      http2: { runs: 1 },
      websocket: { runs: 1 },
    },
  },
  full: {
    own: {
      dropped: { ...DROPPED, runs: 10 },
      overshoot: { runs: 20, budgetMs: 12_000, gracefulTimeoutMs: OVERSHOOT_GRACE_MS },
      idle: { counts: [1_000, 5_000], reps: 8, gracefulTimeoutMs: 5_000 },
      cpu: { rounds: 16, requests: 5_000, concurrency: 8 },
      memory: { connections: 5_000, reps: 6 },
      http2: { runs: 5, gracefulTimeoutMs: 1_000 },
      websocket: { runs: 5, clients: 8, gracefulTimeoutMs: 1_000 },
    },
    peers: {
      dropped: { runs: 5 },
      idle: { reps: 4 },
      cpu: { rounds: 8 },
      memory: { reps: 4 },
    },
  },
  smoke: {
    own: {
      dropped: { ...DROPPED, runs: 3 },
      overshoot: { runs: 20, budgetMs: 3_000, gracefulTimeoutMs: OVERSHOOT_GRACE_MS },
      idle: { counts: [5_000], reps: 4, gracefulTimeoutMs: 5_000 },
      cpu: { rounds: 6, requests: 2_000, concurrency: 8 },
      memory: { connections: 2_000, reps: 3 },
      http2: { runs: 3, gracefulTimeoutMs: 1_000 },
      websocket: { runs: 3, clients: 8, gracefulTimeoutMs: 1_000 },
    },
    peers: {},
  },
};

/** The parameters a scenario runs with for one library: lastcall's own, or the peers' lighter ones. */
export function paramsFor<S extends ScenarioId>(
  mode: Mode,
  scenario: S,
  lastcall: boolean,
): ScenarioTypes[S]['params'] {
  const { own, peers } = PLANS[mode];
  const base = own[scenario] as ScenarioTypes[S]['params'];
  return lastcall ? base : { ...base, ...(peers[scenario] as Partial<ScenarioTypes[S]['params']> | undefined) };
}

/** The longest a child of this scenario may take before the orchestrator kills it, in ms. */
export function timeLimitMs<S extends ScenarioId>(scenario: S, params: ScenarioTypes[S]['params']): number {
  const p = params as unknown as Record<string, number | readonly number[]>;
  const num = (key: string): number => Number(p[key] ?? 0);
  switch (scenario) {
    case 'dropped':
      return 10_000 + num('runs') * (num('durationMs') + num('gracefulTimeoutMs') + 3_000);
    case 'overshoot':
      return 10_000 + num('budgetMs') + num('gracefulTimeoutMs') + 4_000;
    case 'idle':
      return 20_000 + (p['counts'] as readonly number[]).length * num('reps') * 2 * (num('gracefulTimeoutMs') + 12_000);
    case 'cpu':
      return 30_000 + (num('rounds') + 1) * 2 * 20_000;
    case 'memory':
      return 30_000 + (num('reps') + 1) * 2 * 15_000;
    default:
      return 10_000 + num('runs') * (num('gracefulTimeoutMs') + 5_000);
  }
}
