// Overshoot: time from the last in-flight HTTP/1.1 response ending (its `finish` on the server)
// to terminate() resolving; four keep-alive clients each have one slow request in flight.
import type { Adapter } from '../adapters/types.js';
import { Clients } from '../lib/helpers.js';
import { now } from '../lib/net.js';
import type { OvershootParams, OvershootRun } from '../results.js';
import { DELAYS_MS, inflightRun } from './inflight.js';

export async function runOvershoot(adapter: Adapter, params: OvershootParams, sink: OvershootRun[]): Promise<void> {
  const clients = new Clients();
  const started = now();
  try {
    // At least one run; then as many as the count and the time budget allow.
    do {
      const outcome = await inflightRun(false, clients, params.gracefulTimeoutMs, (server) =>
        adapter.attach(server, { gracefulTimeoutMs: params.gracefulTimeoutMs }),
      );
      if (outcome.error) throw new Error(outcome.error);
      sink.push({
        first: sink.length === 0,
        overshootMs: outcome.afterLastMs,
        terminateMs: outcome.terminateMs,
        completed: outcome.completed,
        inFlight: DELAYS_MS.length,
        resolved: outcome.resolved,
      });
    } while (sink.length < params.runs && now() - started < params.budgetMs);
  } finally {
    clients.stop();
  }
}
