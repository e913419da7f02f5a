// What every comparison service shares: the scenario, the HTTP handler, the markers the runner reads.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Scenario =
  | 'clean'
  | 'timeout'
  | 'second-signal'
  | 'hook-throws'
  | 'hook-hangs'
  | 'two-servers'
  | 'done-sync';

export const scenario = (process.argv[2] ?? 'clean') as Scenario;

/** The graceful timeout every library is configured with, in ms (the runner's requests are sized on it). */
export const GRACE_MS = scenario === 'second-signal' ? 3_000 : scenario === 'two-servers' ? 5_000 : 500;
/** The hook timeout where a library has one, in ms. */
export const HOOK_TIMEOUT_MS = 1_000;

/** One line for the runner. */
export const mark = (text: string): void => void process.stdout.write(`${text}\n`);
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `/?ms=N` answers after N ms, `/hang` never answers. Each request is announced to the runner. */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  mark(`REQUEST ${req.url}`);
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/hang') return;
  const ms = Number(url.searchParams.get('ms') ?? 0);
  setTimeout(() => res.end(`done after ${ms} ms`), ms);
}

export async function startServers(): Promise<http.Server[]> {
  const count = scenario === 'two-servers' ? 2 : 1;
  const servers = Array.from({ length: count }, () => http.createServer(handler));
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  return servers;
}

export function ready(servers: http.Server[]): void {
  mark(`READY ${servers.map((server) => (server.address() as AddressInfo).port).join(' ')}`);
}

/**
 * The cleanup hook of the scenario (the library's "after the server" hook): it throws in
 * `hook-throws`, and hangs holding a timer (like a pool that never drains) in `hook-hangs`.
 */
export async function cleanupHook(): Promise<void> {
  mark('HOOK start');
  if (scenario === 'hook-throws') throw new Error('cleanup failed');
  if (scenario === 'hook-hangs') {
    await new Promise(() => setInterval(() => undefined, 1_000));
  }
  await sleep(10);
  mark('HOOK end');
}

/** A step after the cleanup hook, where the library has one: did the shutdown go on? */
export function nextStep(): void {
  mark('NEXT ran');
}
