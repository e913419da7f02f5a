// Small helpers every scenario uses: listening on loopback, bounded waits, sleeping.
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

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const now = (): number => performance.now();
