// Rolling restart of a node:cluster service: 2 workers on one port, keep-alive clients from a
// separate process for the whole run, rolling restarts in which each old worker is told to shut
// down once its replacement is ready; each row is one library as the workers' shutdown.
// This file measures; the rows, checks and page section are cluster-restart.report.ts.
import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import { type Child, freePorts, REQUEST_TIMEOUT_MS, startChild } from '@lastcall/e2e';
import { LASTCALL } from '../adapters/index.js';
import type { Adapter } from '../adapters/types.js';
import {
  CLUSTER_MODE_ENV,
  CLUSTER_MODES,
  CLUSTER_PORT_ENV,
  CLUSTER_READY_TIMEOUT_MS,
  CLUSTER_WORKER_DEADLINE_MS,
  CLUSTER_WORKERS_ENV,
  type ClusterLoadCommand,
  type ClusterLoadEvent,
  type ClusterRestartLine,
} from '../lib/cluster.js';
import { addCounts } from '../report/model.js';
import { defineScenario } from '../scenario.js';
import {
  type ClusterParams,
  type ClusterRow,
  type ClusterRun,
  clusterChecks,
  clusterRows,
  clusterSection,
  clusterWhyMissed,
  ID,
} from './cluster-restart.report.js';

/** Bounds of the scenario's own waits, in ms. */
const START_BOUND_MS = 2 * CLUSTER_READY_TIMEOUT_MS;
const LOADING_BOUND_MS = 10_000;
/** A restart replaces every worker in turn: each a start and a stop at most. */
const restartBoundMs = (workers: number): number =>
  workers * (CLUSTER_READY_TIMEOUT_MS + CLUSTER_WORKER_DEADLINE_MS) + 5_000;
/** The load's own stop: its requests in flight end within their timeout. */
const LOAD_STOP_BOUND_MS = REQUEST_TIMEOUT_MS + 5_000;
const PRIMARY_EXIT_BOUND_MS = CLUSTER_WORKER_DEADLINE_MS + 5_000;
/** Load after the last restart, so its last requests are counted with the restarts', in ms. */
const AFTER_MS = 300;

const BASE = { workers: 2, clients: 32, steadyMs: 2_000 } as const;

export const clusterRestart = defineScenario<ClusterParams, ClusterRun, ClusterRow>({
  id: ID,
  plans: {
    quick: { own: { ...BASE, runs: 1, restarts: 2 } },
    full: { own: { ...BASE, runs: 2, restarts: 3 } },
    // lastcall alone, one restart: about 5 s on top of the smoke run.
    smoke: { own: { ...BASE, clients: 16, steadyMs: 1_000, runs: 1, restarts: 1 } },
  },
  adapters(mode, peers) {
    if (mode === 'smoke') return [LASTCALL];
    return [LASTCALL, ...peers.filter((peer) => (CLUSTER_MODES as readonly string[]).includes(peer.id))];
  },
  timeLimitMs: (p) =>
    30_000 +
    p.runs *
      (START_BOUND_MS +
        LOADING_BOUND_MS +
        p.steadyMs +
        p.restarts * restartBoundMs(p.workers) +
        LOAD_STOP_BOUND_MS +
        PRIMARY_EXIT_BOUND_MS),

  async run(adapter, params, sink) {
    // Built next to child.js (this process's script) by build.mjs.
    const dist = path.dirname(process.argv[1] ?? '.');
    for (let run = 0; run < params.runs; run++) sink.push(await oneRun(adapter, params, dist));
  },

  rows: clusterRows,
  checks: clusterChecks,
  section: clusterSection,
  whyMissed: clusterWhyMissed,
});

/** One run: primary, load client, steady state, the restarts, SIGTERM; every process stopped by its pid. */
async function oneRun(adapter: Adapter, params: ClusterParams, dist: string): Promise<ClusterRun> {
  const [port] = (await freePorts(1)) as [number];
  const primary = startChild('primary', process.execPath, [path.join(dist, 'cluster-service.js')], {
    [CLUSTER_MODE_ENV]: adapter.id,
    [CLUSTER_PORT_ENV]: String(port),
    [CLUSTER_WORKERS_ENV]: String(params.workers),
  });
  const client = fork(path.join(dist, 'cluster-load.js'), [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const command = (message: ClusterLoadCommand): void => void client.send(message);
  try {
    await primary.waitForLine(/^STARTED /, START_BOUND_MS);
    const loadBoundMs = params.steadyMs + params.restarts * restartBoundMs(params.workers) + 20_000;
    const loading = nextEvent(client, 'loading', LOADING_BOUND_MS);
    command({ type: 'start', port, clients: params.clients, maxMs: loadBoundMs });
    await loading;
    command({ type: 'phase', label: 'steady' });
    await new Promise((resolve) => setTimeout(resolve, params.steadyMs));
    command({ type: 'phase', label: 'restart' });
    const restarts: ClusterRestartLine[] = [];
    for (let i = 0; i < params.restarts; i++) {
      primary.process.kill('SIGHUP');
      const line = await nthLine(primary, 'RESTART ', i + 1, restartBoundMs(params.workers));
      restarts.push(JSON.parse(line) as ClusterRestartLine);
    }
    command({ type: 'phase', label: 'after' });
    await new Promise((resolve) => setTimeout(resolve, AFTER_MS));
    const done = nextEvent(client, 'done', LOAD_STOP_BOUND_MS);
    command({ type: 'stop' });
    const counts = (await done) as Extract<ClusterLoadEvent, { type: 'done' }>;
    const primaryExit = await primary.stop('SIGTERM', PRIMARY_EXIT_BOUND_MS);
    const workers = forkedPids(primary);
    const left = workers.filter(alive).length;
    const stops = restarts.flatMap((restart) => restart.stops);
    return {
      ok: counts.ok,
      failed: counts.failed,
      causes: counts.causes,
      steadyP99Ms: counts.p99Ms.steady ?? Number.NaN,
      restartP99Ms: counts.p99Ms.restart ?? Number.NaN,
      restartOk: counts.okByPhase.restart ?? 0,
      exits: addCounts(stops.map((stop) => ({ [String(stop.exitCode ?? stop.signal)]: 1 }))),
      forced: stops.filter((stop) => stop.forced).length,
      drainMs: stops.map((stop) => stop.drainMs),
      restartMs: restarts.map((restart) => restart.durationMs),
      outcomes: addCounts(restarts.map((restart) => ({ [restart.outcome]: 1 }))),
      primaryExit,
      left,
    };
  } finally {
    if (client.exitCode === null && client.signalCode === null) client.kill('SIGKILL');
    await primary.stop('SIGKILL');
    for (const pid of forkedPids(primary).filter(alive)) process.kill(pid, 'SIGKILL');
  }
}

/** Resolves with the load client's next event of `type`; rejects after `ms` or at its exit. */
function nextEvent(client: ChildProcess, type: ClusterLoadEvent['type'], ms: number): Promise<ClusterLoadEvent> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('message', onMessage);
      client.off('exit', onExit);
    };
    const onMessage = (event: ClusterLoadEvent): void => {
      if (event.type !== type) return;
      done();
      resolve(event);
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`the load client exited (${code}) before "${type}"`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the load client sent no "${type}" within ${ms} ms`));
    }, ms);
    client.on('message', onMessage);
    client.once('exit', onExit);
  });
}

/** The JSON after `prefix` on the `n`-th line starting with it; rejects after `ms` or at the child's exit. */
function nthLine(child: Child, prefix: string, n: number, ms: number): Promise<string> {
  const find = (): string | undefined => child.lines.filter((line) => line.startsWith(prefix))[n - 1];
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      child.process.stdout?.off('data', check);
    };
    // startChild's own listener, added first, has pushed the chunk's lines when this one runs.
    const check = (): void => {
      const line = find();
      if (line === undefined) return;
      done();
      resolve(line.slice(prefix.length));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${child.name}: no line ${n} "${prefix}" within ${ms} ms:\n${child.lines.join('\n')}`));
    }, ms);
    child.process.stdout?.on('data', check);
    void child.exited.then(() => {
      if (find() !== undefined) return check();
      done();
      reject(new Error(`${child.name} exited before line ${n} "${prefix}":\n${child.lines.join('\n')}`));
    });
    check();
  });
}

function forkedPids(primary: Child): number[] {
  return primary.lines
    .filter((line) => line.startsWith('FORK '))
    .map((line) => (JSON.parse(line.slice(5)) as { pid: number }).pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
