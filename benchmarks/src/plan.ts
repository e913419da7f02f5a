// The modes: quick (the default) fits in a few minutes on 2 cores; --full repeats more and adds the
// largest sizes; --smoke measures lastcall's own rows only, for CI. Each scenario module holds its
// own settings per mode; this file gathers them into what a run records.
import type { Mode, PeerPlan, Plan } from './mode.js';
import type { Scenario } from './scenario.js';

export function plansFor(mode: Mode, scenarios: readonly Scenario[]): { own: Plan; peers: PeerPlan } {
  const own: Record<string, unknown> = {};
  const peers: Record<string, unknown> = {};
  for (const scenario of scenarios) {
    const plan = scenario.plan(mode);
    if (plan === undefined) continue;
    own[scenario.id] = plan.own;
    if (plan.peers !== undefined) peers[scenario.id] = plan.peers;
  }
  return { own, peers };
}
