// Keep-alive clients through the balancer for the whole run: each counts ok and failed requests
// (a status other than 200, a reset, a timeout) and keeps every latency with its phase.
import * as http from 'node:http';

/** A request not answered within this many ms counts as failed ("timeout"). */
export const REQUEST_TIMEOUT_MS = 5_000;

export interface LoadCounts {
  ok: number;
  failed: number;
  /** Failures by cause: `status 502`, `ECONNRESET`, `timeout`... */
  causes: Record<string, number>;
  /** Latencies in ms by phase label (`steady`, `restart`). */
  latencies: Record<string, number[]>;
}

export interface Load {
  readonly counts: LoadCounts;
  /** Labels the latencies of the requests that start from now on. */
  phase(label: string): void;
  /** Stops the clients after their request in flight; resolves once all have stopped. */
  stop(): Promise<LoadCounts>;
}

function get(port: number, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.once('error', reject);
  });
}

/** `clients` keep-alive clients, each at most `maxRequests` requests and `maxMs` long. */
export function startLoad(port: number, clients: number, maxMs: number, maxRequests = 200_000): Load {
  const counts: LoadCounts = { ok: 0, failed: 0, causes: {}, latencies: {} };
  let label = 'warmup';
  let stopped = false;
  const until = performance.now() + maxMs;
  const fail = (cause: string): void => {
    counts.failed++;
    counts.causes[cause] = (counts.causes[cause] ?? 0) + 1;
  };
  const client = async (): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < maxRequests && !stopped && performance.now() < until; i++) {
        const started = performance.now();
        const phase = label;
        try {
          const status = await get(port, agent);
          if (status === 200) {
            counts.ok++;
            const list = counts.latencies[phase] ?? [];
            list.push(performance.now() - started);
            counts.latencies[phase] = list;
          } else fail(`status ${status}`);
        } catch (error) {
          fail((error as NodeJS.ErrnoException).code ?? (error as Error).message);
        }
      }
    } finally {
      agent.destroy();
    }
  };
  const running = Promise.all(Array.from({ length: clients }, client));
  return {
    counts,
    phase(next) {
      label = next;
    },
    async stop() {
      stopped = true;
      await running;
      return counts;
    },
  };
}

/** The p-th percentile (0-100) of `values`, in their unit; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}
