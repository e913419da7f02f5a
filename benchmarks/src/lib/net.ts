// Small helpers every scenario uses: listening on loopback, bounded waits, sleeping.
import * as http from 'node:http';
import type * as net from 'node:net';

/** Every benchmark server listens here and every client connects here: loopback only. */
export const HOST = '127.0.0.1';

export function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // A large backlog: the idle scenarios open thousands of connections in bursts.
    server.listen({ host: HOST, port: 0, backlog: 4096 }, () => {
      server.removeListener('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `promise`'s outcome, or with `'timeout'` after `ms`: every wait here is bounded. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The longest one helper request may take before it is destroyed and counted as failed: far above
 * any benchmark's request (under a millisecond to 50 ms), so it only ends a hang.
 */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * GET `path` on loopback through `agent`, body discarded. Resolves true when the response arrived
 * complete, false on any error or after `REQUEST_TIMEOUT_MS` (the request is then destroyed).
 */
export function timedGet(port: number, path: string, agent: http.Agent): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (completed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(completed);
    };
    const req = http.get({ host: HOST, port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => settle(res.complete));
      res.on('error', () => settle(false));
    });
    req.on('error', () => settle(false));
    const timer = setTimeout(() => {
      settle(false);
      req.destroy();
    }, REQUEST_TIMEOUT_MS);
  });
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const now = (): number => performance.now();
