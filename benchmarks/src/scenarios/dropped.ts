// Requests dropped while shutting down under keep-alive load: 32 keep-alive clients (in the
// clients helper process), terminate() a third of the way in. A refused connection is fine; a
// reset, a hang-up or a request never answered on an accepted connection is a drop.
import * as http from 'node:http';
import type { Adapter } from '../adapters/types.js';
import { Clients } from '../lib/helpers.js';
import { listen, now, within } from '../lib/net.js';
import type { DroppedParams, DroppedRun } from '../results.js';

/** Handler latency, in ms: long enough that requests are in flight when terminate() is called. */
const HANDLER_MS = 2;

export async function runDropped(adapter: Adapter, params: DroppedParams, sink: DroppedRun[]): Promise<void> {
  const clients = new Clients();
  try {
    for (let run = 0; run < params.runs; run++) sink.push(await once(adapter, params, clients));
  } finally {
    clients.stop();
  }
}

async function once(adapter: Adapter, params: DroppedParams, clients: Clients): Promise<DroppedRun> {
  const server = http.createServer((_req, res) => {
    setTimeout(() => res.end('ok'), HANDLER_MS);
  });
  const attached = adapter.attach(server, { gracefulTimeoutMs: params.gracefulTimeoutMs });
  const port = await listen(server);

  const done = clients.next('load-done', params.durationMs + 5_000);
  clients.send({ type: 'load', port, clients: params.clients, durationMs: params.durationMs });
  let terminateStart = Number.NaN;
  let terminateEnd = Number.NaN;
  let termination: Promise<void> = Promise.resolve();
  const trigger = setTimeout(() => {
    terminateStart = now();
    termination = attached.terminate().then(() => {
      terminateEnd = now();
    });
  }, params.terminateAtMs);

  const outcome = await done;
  clearTimeout(trigger);
  await within(termination, Math.max(0, terminateStart + params.gracefulTimeoutMs + 2_000 - now()));
  const resolved = !Number.isNaN(terminateEnd);
  // Whatever the library left open goes now, so the next run starts clean.
  server.closeAllConnections();
  server.close();
  await attached.settle?.();
  return {
    ok: outcome.ok,
    refused: outcome.refused,
    dropped: outcome.dropped,
    codes: outcome.codes,
    terminateMs: resolved ? terminateEnd - terminateStart : now() - terminateStart,
    resolved,
  };
}
