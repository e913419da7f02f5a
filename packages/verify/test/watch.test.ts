// The shutdown watcher must not be one more checker of the service's readiness when the balancer
// already checks it: a backend counting its not-ready answers (AcknowledgedDelayDrain) would count
// the watcher's probe as one of HAProxy's checks and close its listener a check too early (issue
// 16: HAProxy's connect retries, restart p99 ~1 s). Real sockets on 127.0.0.1.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { watchShutdown } from '../src/service';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A server answering its readiness 503 (as after SIGTERM), counting the readiness requests. */
async function draining(): Promise<{ port: number; probes: () => number; close: () => Promise<void> }> {
  let probes = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/readyz') probes++;
    res.statusCode = req.url === '/readyz' ? 503 : 200;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    probes: () => probes,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('watchShutdown', () => {
  test('given the balancer view of readiness (turned), it sends no readiness request and reports the turn', async () => {
    const service = await draining();
    try {
      let asked = 0;
      const watcher = watchShutdown(service.port, '/readyz', async () => ++asked >= 3);
      await sleep(150);
      const order = await watcher.stop();
      expect(service.probes()).toBe(0);
      expect(asked).toBeGreaterThanOrEqual(3);
      expect(order.readinessTurned).toBeGreaterThanOrEqual(0);
      expect(order.listenerClosed).toBeUndefined();
    } finally {
      await service.close();
    }
  });

  test('without it, it probes readiness itself (once it has turned, no more)', async () => {
    const service = await draining();
    try {
      const watcher = watchShutdown(service.port, '/readyz');
      await sleep(150);
      const order = await watcher.stop();
      expect(service.probes()).toBe(1);
      expect(order.readinessTurned).toBeGreaterThanOrEqual(0);
    } finally {
      await service.close();
    }
  });
});
