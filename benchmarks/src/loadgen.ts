// A helper process that sends a fixed number of keep-alive requests to a benchmark server, so that
// the server's process.cpuUsage() counts the server alone. Talks over IPC; ends with its parent.
import * as http from 'node:http';
import { now, timedGet } from './lib/net.js';

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

async function load({ port, requests, concurrency }: LoadCommand): Promise<LoadDone> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let issued = 0;
  let errors = 0;
  const one = async (): Promise<void> => {
    if (!(await timedGet(port, '/', agent))) errors++;
  };
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
