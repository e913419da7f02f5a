// lastcall's targets: the checks of a run gathered from every scenario module (each defines its
// own targets and bounds; the shape of a check is in checks.ts). The smoke run gates on them
// (except those marked reported-only); the page prints them.
import type { OwnedCheck } from './checks.js';
import type { BenchRun } from './report/model.js';
import { SCENARIOS } from './scenarios/index.js';

export function checkTargets(run: BenchRun): OwnedCheck[] {
  return SCENARIOS.flatMap((scenario) => scenario.checks(run).map((check) => ({ ...check, scenario: scenario.id })));
}
