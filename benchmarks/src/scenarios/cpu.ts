// CPU per request while serving: a bare server and one with the library attached, in the same
// process, loaded in alternating rounds by a load generator in another process; the server
// process's own process.cpuUsage() over a fixed request count, and the ratio per round pair.
import * as http from 'node:http';
import type { Adapter } from '../adapters/types.js';
import { LoadGenerator } from '../lib/helpers.js';
import { listen, now } from '../lib/net.js';
import type { CpuPair, CpuParams } from '../results.js';

interface Measured {
  readonly us: number;
  readonly rps: number;
}

export async function runCpu(adapter: Adapter, params: CpuParams, sink: CpuPair[]): Promise<void> {
  const handler: http.RequestListener = (_req, res) => res.end('ok');
  const bare = http.createServer(handler);
  const withLib = http.createServer(handler);
  adapter.attach(withLib, { gracefulTimeoutMs: 10_000 });
  const barePort = await listen(bare);
  const libPort = await listen(withLib);
  const generator = new LoadGenerator();
  const measure = async (port: number): Promise<Measured> => {
    const before = process.cpuUsage();
    const started = now();
    const done = await generator.load(port, params.requests, params.concurrency);
    const ms = now() - started;
    const used = process.cpuUsage(before);
    if (done.errors > 0) throw new Error(`load generator: ${done.errors} failed requests`);
    return { us: (used.user + used.system) / params.requests, rps: (params.requests * 1000) / ms };
  };
  try {
    // Warm-up, not recorded: both servers' code paths compiled before the first measured round.
    await measure(barePort);
    await measure(libPort);
    for (let round = 0; round < params.rounds; round++) {
      const bareFirst = round % 2 === 0;
      const first = await measure(bareFirst ? barePort : libPort);
      const second = await measure(bareFirst ? libPort : barePort);
      const b = bareFirst ? first : second;
      const l = bareFirst ? second : first;
      sink.push({ bareUs: b.us, libUs: l.us, ratio: l.us / b.us, bareRps: b.rps, libRps: l.rps });
    }
  } finally {
    generator.stop();
    for (const server of [bare, withLib]) {
      server.closeAllConnections();
      server.close();
    }
  }
}
