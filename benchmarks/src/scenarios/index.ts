// Every scenario module, in run and page order. A new scenario is one module added here.
import type { Scenario } from '../scenario.js';
import { clusterRestart } from './cluster-restart.js';
import { cpu } from './cpu.js';
import { dropped } from './dropped.js';
import { h2Goaway } from './h2-goaway.js';
import { http2 } from './http2.js';
import { idle } from './idle.js';
import { idleLong } from './idle-long.js';
import { memory } from './memory.js';
import { overshoot } from './overshoot.js';
import { reconnectStorm } from './reconnect-storm.js';
import { rolling } from './rolling-restart.js';
import { websocket } from './websocket.js';

export const SCENARIOS: readonly Scenario[] = [
  dropped,
  overshoot,
  idle,
  idleLong,
  http2,
  h2Goaway,
  websocket,
  rolling,
  reconnectStorm,
  clusterRestart,
  cpu,
  memory,
];

export function scenarioById(id: string): Scenario {
  const scenario = SCENARIOS.find((candidate) => candidate.id === id);
  if (scenario === undefined)
    throw new RangeError(`unknown scenario "${id}"; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  return scenario;
}
