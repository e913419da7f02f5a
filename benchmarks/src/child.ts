// Entry point of one child process: one scenario x one library, all its repetitions, the
// results sent back over IPC. The orchestrator bounds its time and kills it past that.
import { adapterById } from './adapters/index.js';
import { now } from './lib/net.js';
import type { ChildResult, ChildSpec, ScenarioId, ScenarioTypes } from './results.js';
import { runCpu } from './scenarios/cpu.js';
import { runDropped } from './scenarios/dropped.js';
import { runHttp2 } from './scenarios/http2.js';
import { runIdle } from './scenarios/idle.js';
import { runMemory } from './scenarios/memory.js';
import { runOvershoot } from './scenarios/overshoot.js';
import { runWebSocket } from './scenarios/websocket.js';

type Runner<S extends ScenarioId> = (
  adapterId: string,
  params: ScenarioTypes[S]['params'],
  sink: ScenarioTypes[S]['data'],
) => Promise<void>;

const RUNNERS: { [S in ScenarioId]: Runner<S> } = {
  dropped: (id, params, sink) => runDropped(adapterById(id), params, sink),
  overshoot: (id, params, sink) => runOvershoot(adapterById(id), params, sink),
  idle: (id, params, sink) => runIdle(adapterById(id), params, sink),
  cpu: (id, params, sink) => runCpu(adapterById(id), params, sink),
  memory: (id, params, sink) => runMemory(adapterById(id), params, sink),
  http2: (id, params, sink) => runHttp2(id, params, sink),
  websocket: (id, params, sink) => runWebSocket(id, params, sink),
};

async function main<S extends ScenarioId>(spec: ChildSpec<S>): Promise<ChildResult<S>> {
  const started = now();
  const data = [] as ScenarioTypes[S]['data'];
  let error: string | undefined;
  try {
    await (RUNNERS[spec.scenario] as Runner<S>)(spec.adapter, spec.params, data);
  } catch (caught) {
    error = caught instanceof Error ? (caught.stack ?? caught.message) : String(caught);
  }
  return { scenario: spec.scenario, adapter: spec.adapter, data, error, wallMs: now() - started };
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ChildSpec;
void main(spec).then((result) => {
  // Exit explicitly: several peers leave timers or signal listeners behind on purpose.
  if (process.send) process.send(result, () => process.exit(0));
  else {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  }
});
