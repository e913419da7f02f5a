// A helper process that sends a fixed number of keep-alive requests to a benchmark server, so that
// the server's process.cpuUsage() counts the server alone. Talks over IPC; ends with its parent.
import * as http from 'node:http';
import { HOST, now } from './lib/net.js';

export interface LoadCommand {
  readonly type: 'load';
  readonly port: number;
  readonly requests: number;
  readonly concurrency: number;
}
export interface LoadDone {
  readonly type: 'done';
  readonly ms: number;
  readonly errors: number;
}

/** No benchmark child lives this long; a load generator left behind ends itself. */
const HARD_LIMIT_MS = 20 * 60_000;
/**
 * The longest one request may take before it is destroyed and counted as an error: far above a
 * benchmark request (well under a millisecond), so it only ends a hang.
 */
const REQUEST_TIMEOUT_MS = 10_000;

async function load({ port, requests, concurrency }: LoadCommand): Promise<LoadDone> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let issued = 0;
  let errors = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (failed: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (failed) errors++;
        resolve();
      };
      const req = http.get({ host: HOST, port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => settle(false));
        res.on('error', () => settle(true));
      });
      req.on('error', () => settle(true));
      timer = setTimeout(() => {
        settle(true);
        req.destroy();
      }, REQUEST_TIMEOUT_MS);
    });
  const worker = async (): Promise<void> => {
    while (issued < requests) {
      issued++;
      await one();
    }
  };
  const started = now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = now() - started;
  agent.destroy();
  return { type: 'done', ms, errors };
}

process.on('message', (command: LoadCommand) => {
  void load(command).then((done) => process.send?.(done));
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(0), HARD_LIMIT_MS).unref();
