// Idle close: N idle keep-alive connections (held by another process), time from terminate() to
// resolved, against the floor of a raw socket.destroy() loop over the same kind of sockets,
// measured in the same process in alternating order.
import * as http from 'node:http';
import { rawDestroyAdapter } from '../adapters/raw-destroy.js';
import type { Adapter } from '../adapters/types.js';
import { Holder } from '../lib/helpers.js';
import { listen, now, sleep, within } from '../lib/net.js';
import type { IdlePair, IdleParams } from '../results.js';

/** Longer than any run: the connections must stay idle, not time out, until terminate(). */
const KEEP_ALIVE_MS = 120_000;

export async function runIdle(adapter: Adapter, params: IdleParams, sink: IdlePair[]): Promise<void> {
  const holder = new Holder();
  try {
    for (const connections of params.counts) {
      for (let rep = 0; rep < params.reps; rep++) {
        // Alternating order, so that neither side always runs on a warmer process.
        const floorFirst = rep % 2 === 0;
        const first = await measure(floorFirst ? rawDestroyAdapter : adapter, holder, connections, params);
        const second = await measure(floorFirst ? adapter : rawDestroyAdapter, holder, connections, params);
        const floor = floorFirst ? first : second;
        const lib = floorFirst ? second : first;
        sink.push({ connections, floorMs: floor.ms, libMs: lib.ms, ratio: lib.ms / floor.ms, resolved: lib.resolved });
      }
    }
  } finally {
    holder.stop();
  }
}

async function measure(
  adapter: Adapter,
  holder: Holder,
  connections: number,
  params: IdleParams,
): Promise<{ ms: number; resolved: boolean }> {
  const server = http.createServer((_req, res) => res.end('ok'));
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  const attached = adapter.attach(server, { gracefulTimeoutMs: params.gracefulTimeoutMs });
  const port = await listen(server);
  await holder.open(port, connections);
  // Let the last responses' `finish` land, and start both sides from a collected heap.
  await sleep(20);
  globalThis.gc?.();

  const started = now();
  const outcome = await within(attached.terminate(), params.gracefulTimeoutMs + 2_000);
  const ms = now() - started;
  server.closeAllConnections();
  server.close();
  await holder.drain(5_000);
  return { ms, resolved: outcome !== 'timeout' };
}
