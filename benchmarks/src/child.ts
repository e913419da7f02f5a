// Entry point of one child process: one scenario x one library, all its repetitions, the
// results sent back over IPC. The orchestrator bounds its time and kills it past that.
import { adapterById } from './adapters/index.js';
import { now } from './lib/net.js';
import type { ChildResult, ChildSpec } from './results.js';
import { scenarioById } from './scenarios/index.js';

async function main(spec: ChildSpec): Promise<ChildResult> {
  const started = now();
  const data: unknown[] = [];
  let error: string | undefined;
  try {
    await scenarioById(spec.scenario).run(adapterById(spec.adapter), spec.params, data);
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
