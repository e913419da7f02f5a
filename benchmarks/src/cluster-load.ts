// The load client of the cluster-restart scenario, in its own process so the primary and its
// workers share the machine with it as with any client: keep-alive clients (the e2e harness's,
// bounded in count and time) driven over IPC. Exits when its parent goes away, and after a hard limit.
import { percentile, startLoad } from '@lastcall/e2e';
import type { ClusterLoadCommand, ClusterLoadEvent } from './lib/cluster.js';

/** No scenario child lives this long; a load client left behind ends itself. */
const HARD_LIMIT_MS = 10 * 60_000;
/** How often the client looks for its first successful request, in ms. */
const POLL_MS = 10;

let load: ReturnType<typeof startLoad> | undefined;
const send = (event: ClusterLoadEvent): void => void process.send?.(event);

process.on('message', (command: ClusterLoadCommand) => {
  if (command.type === 'start' && load === undefined) {
    const started = startLoad({ port: command.port, clients: command.clients, maxDuration: command.maxMs });
    load = started;
    const poll = setInterval(() => {
      if (started.counts.ok === 0) return;
      clearInterval(poll);
      send({ type: 'loading' });
    }, POLL_MS);
  } else if (command.type === 'phase') load?.phase(command.label);
  else if (command.type === 'stop' && load !== undefined) {
    void load.stop().then((counts) => {
      const phases = Object.entries(counts.latencies);
      send({
        type: 'done',
        ok: counts.ok,
        failed: counts.failed,
        causes: counts.causes,
        p99Ms: Object.fromEntries(phases.map(([label, list]) => [label, percentile(list, 99)])),
        okByPhase: Object.fromEntries(phases.map(([label, list]) => [label, list.length])),
      });
    });
  }
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(0), HARD_LIMIT_MS).unref();
