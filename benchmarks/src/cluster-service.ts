// The service of the cluster-restart scenario, run as `node dist/cluster-service.js`: a node:cluster
// primary and its HTTP workers. lastcall's mode uses @lastcall/cluster's primary and clusterWorker;
// the peers' modes a minimal primary of this file that does the same fork / ready / shutdown-message
// sequence, so only the worker's shutdown differs. Speaks to the scenario in stdout lines:
// `FORK {pid}`, `STARTED {pid}`, `RESTART {json}` after each rolling restart (SIGHUP), `STOPPED {json}`.
import cluster, { type Worker } from 'node:cluster';
import * as diagnosticsChannel from 'node:diagnostics_channel';
import * as http from 'node:http';
import { CLUSTER_CHANNELS, type ClusterMessage, clusterWorker, createPrimary } from '@lastcall/cluster';
import { createTerminator, KeepAliveDrain } from '@lastcall/core';
import { createCoordinator } from '@lastcall/lifecycle';
import { createHttpTerminator } from 'http-terminator';
import {
  CLUSTER_GRACEFUL_MS,
  CLUSTER_IDLE_GRACE_MS,
  CLUSTER_MODE_ENV,
  CLUSTER_MODES,
  CLUSTER_PORT_ENV,
  CLUSTER_READY_TIMEOUT_MS,
  CLUSTER_WARMUP_MS,
  CLUSTER_WORK_MS,
  CLUSTER_WORKER_DEADLINE_MS,
  CLUSTER_WORKERS_ENV,
  type ClusterMode,
  type ClusterRestartLine,
  type ClusterStop,
} from './lib/cluster.js';

const mode = process.env[CLUSTER_MODE_ENV] as ClusterMode;
if (!CLUSTER_MODES.includes(mode))
  throw new RangeError(`${CLUSTER_MODE_ENV} must be one of ${CLUSTER_MODES.join(', ')}, received ${String(mode)}`);
const port = Number(process.env[CLUSTER_PORT_ENV]);
const workers = Number(process.env[CLUSTER_WORKERS_ENV] ?? 2);

// @lastcall/cluster's message tag (a private detail of the package): the peers' minimal primary
// below and their workers speak the same fork / ready / shutdown sequence with it.
const MESSAGE_TAG = 'lastcall:cluster';
const print = (tag: string, value: unknown): void => void process.stdout.write(`${tag} ${JSON.stringify(value)}\n`);
const isReady = (message: unknown): boolean =>
  typeof message === 'object' && message !== null && (message as { tag?: unknown }).tag === MESSAGE_TAG;
const isShutdown = (message: unknown): boolean =>
  isReady(message) && (message as { type?: unknown }).type === 'shutdown';
const shutdownMessage = { tag: MESSAGE_TAG, type: 'shutdown' } as const;

// ---- primaries ----

/** lastcall's row: @lastcall/cluster's primary, its restart reports turned into RESTART lines. */
function lastcallPrimary(): void {
  cluster.on('fork', (worker) => print('FORK', { pid: worker.process.pid }));
  diagnosticsChannel.subscribe(CLUSTER_CHANNELS.restartEnd, (message) => {
    const { report } = message as Extract<ClusterMessage, { channel: 'restartEnd' }>;
    const line: ClusterRestartLine = {
      outcome: report.outcome,
      durationMs: report.duration,
      stops: report.slots.map((slot) => ({
        exitCode: slot.oldStop?.exitCode ?? null,
        signal: slot.oldStop?.signal ?? null,
        forced: slot.oldStop?.forced ?? false,
        drainMs: slot.oldStop?.drain ?? Number.NaN,
      })),
    };
    print('RESTART', line);
  });
  const primary = createPrimary({
    workers,
    readyTimeout: CLUSTER_READY_TIMEOUT_MS,
    workerDeadline: CLUSTER_WORKER_DEADLINE_MS,
    logger: false,
  });
  void primary.start().then(() => print('STARTED', { pid: process.pid }));
}

/**
 * The peers' primary: the same sequence as @lastcall/cluster's with `maxUnavailable` 1 (fork the
 * replacement, wait for its ready message, send the old worker the shutdown message, wait for its
 * exit, SIGKILL at the deadline; then the next slot). No crash re-fork, no coalescing: the scenario
 * sends the next SIGHUP only after the RESTART line, and a crash fails the run.
 */
function minimalPrimary(): void {
  const slots: Worker[] = [];
  let restarting = false;
  let stopping = false;

  const fork = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      print('FORK', { pid: worker.process.pid });
      const timer = setTimeout(() => {
        worker.process.kill('SIGKILL');
        reject(new Error(`worker ${worker.process.pid} not ready in ${CLUSTER_READY_TIMEOUT_MS} ms`));
      }, CLUSTER_READY_TIMEOUT_MS);
      worker.on('message', (message: unknown) => {
        if (!isReady(message) || (message as { type?: unknown }).type !== 'ready') return;
        clearTimeout(timer);
        resolve(worker);
      });
      worker.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker ${worker.process.pid} exited (${code ?? signal}) before ready`));
      });
    });

  const stop = (worker: Worker): Promise<ClusterStop> =>
    new Promise((resolve) => {
      const started = performance.now();
      let forced = false;
      const timer = setTimeout(() => {
        forced = true;
        worker.process.kill('SIGKILL');
      }, CLUSTER_WORKER_DEADLINE_MS);
      worker.once('exit', (exitCode, signal) => {
        clearTimeout(timer);
        resolve({ exitCode, signal, forced, drainMs: Math.round(performance.now() - started) });
      });
      if (worker.isConnected()) worker.send(shutdownMessage);
    });

  const restart = async (): Promise<void> => {
    if (restarting || stopping) return;
    restarting = true;
    const started = performance.now();
    const stops: ClusterStop[] = [];
    let outcome: ClusterRestartLine['outcome'] = 'ok';
    try {
      for (let i = 0; i < slots.length; i++) {
        const next = await fork();
        const old = slots[i] as Worker;
        slots[i] = next;
        stops.push(await stop(old));
      }
    } catch {
      outcome = 'failed';
    }
    restarting = false;
    const line: ClusterRestartLine = { outcome, durationMs: Math.round(performance.now() - started), stops };
    print('RESTART', line);
  };

  process.on('SIGHUP', () => void restart());
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void Promise.all(slots.map(stop)).then((stops) => {
      print('STOPPED', stops);
      process.exit(stops.every((s) => s.exitCode === 0 && !s.forced) ? 0 : 1);
    });
  });
  void Promise.all(Array.from({ length: workers }, fork)).then(
    (forked) => {
      slots.push(...forked);
      print('STARTED', { pid: process.pid });
    },
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}

// ---- workers ----

/** Every mode's application: each request takes CLUSTER_WORK_MS, so something is always in flight. */
function app(_req: http.IncomingMessage, res: http.ServerResponse): void {
  setTimeout(() => res.end(`ok ${process.pid}\n`), CLUSTER_WORK_MS);
}

/** Listens after the warm-up; `onReady` runs once listening (the ready message). */
async function listen(server: http.Server, onReady: () => void): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, CLUSTER_WARMUP_MS));
  server.listen(port, '127.0.0.1', onReady);
}

const sendReady = (): void => void process.send?.({ tag: MESSAGE_TAG, type: 'ready' });

/** Runs `shutdown` on the primary's shutdown message (the peers' workers). */
function onShutdownMessage(shutdown: () => void): void {
  process.on('message', (message: unknown) => {
    if (isShutdown(message)) shutdown();
  });
}

const workerModes: Record<ClusterMode, (server: http.Server) => Promise<void>> = {
  // As docs/cluster.md shows it, with the longer idle grace it recommends for workers.
  async lastcall(server) {
    const coordinator = createCoordinator({ logger: false, deadline: CLUSTER_WORKER_DEADLINE_MS - 1_000 });
    coordinator.add(
      createTerminator({
        server,
        gracefulTimeout: CLUSTER_GRACEFUL_MS,
        drain: new KeepAliveDrain({ idleGrace: CLUSTER_IDLE_GRACE_MS }),
      }),
    );
    const worker = clusterWorker(coordinator);
    await listen(server, () => worker.ready());
  },
  // Node's own: close (idle keep-alive connections too), everything at the deadline, exit when closed.
  async 'node-close'(server) {
    onShutdownMessage(() => {
      setTimeout(() => server.closeAllConnections(), CLUSTER_GRACEFUL_MS).unref();
      server.close(() => process.exit(0));
      server.closeIdleConnections();
    });
    await listen(server, sendReady);
  },
  async 'http-terminator'(server) {
    const terminator = createHttpTerminator({ server, gracefulTerminationTimeout: CLUSTER_GRACEFUL_MS });
    onShutdownMessage(() => void terminator.terminate().then(() => process.exit(0)));
    await listen(server, sendReady);
  },
};

if (cluster.isPrimary) {
  if (mode === 'lastcall') lastcallPrimary();
  else minimalPrimary();
} else {
  void workerModes[mode](http.createServer(app));
}
