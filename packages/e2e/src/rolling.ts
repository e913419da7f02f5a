// One rolling-restart run: a balancer in front of N backend processes under keep-alive load;
// each backend in turn gets SIGTERM and, once it has exited, a new one takes its port (a static
// balancer config, as a systemd or PM2 deploy behind HAProxy/nginx has). Returns what the clients saw.
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { type BackendSlot, type BalancerKind, binaryOf, findBinary, haproxyStats, startBalancer } from './balancers';
import { type LoadCounts, percentile, startLoad } from './load';
import { type Child, freePorts, startChild } from './processes';
import { BACKEND_ENV, type BackendExit } from './protocol';

export interface RollingOptions {
  readonly kind: BalancerKind;
  /** Backend processes behind the balancer. */
  readonly backends?: number;
  /** Rounds: each restarts every backend once, one after the other. */
  readonly rounds?: number;
  /** Keep-alive clients through the balancer. */
  readonly clients?: number;
  /** Steady-state load before the first restart, in ms. */
  readonly steadyMs?: number;
  /** Extra environment of every backend (the switches in BACKEND_ENV). */
  readonly backendEnv?: Readonly<Record<string, string>>;
  /** nginx only: `false` leaves out `proxy_next_upstream`. */
  readonly nextUpstream?: boolean;
  /** Progress lines, for a benchmark or a debugging run. */
  readonly log?: (line: string) => void;
}

export interface Shutdown {
  readonly exitCode: number | string;
  /** SIGTERM sent to exit seen by the harness, in ms. */
  readonly sigtermToExitMs: number;
  /** What the backend printed at exit; undefined if it printed nothing. */
  readonly exit: BackendExit | undefined;
}

export interface RollingResult {
  readonly counts: LoadCounts;
  readonly shutdowns: readonly Shutdown[];
  readonly steadyP99Ms: number;
  readonly restartP99Ms: number;
  /** HAProxy's count of connections it opened to each server slot (HAProxy only). */
  readonly haproxyConnects?: number;
}

/** HAProxy's `inter` and `agent-inter`, in ms, and its `fall`: the settings of the issue's measurement. */
export const CHECK_INTERVAL_MS = 200;
export const FALL = 2;
/** Bounds of the harness's own waits, in ms. */
const START_BOUND_MS = 10_000;
const SERVE_BOUND_MS = 10_000;
const EXIT_BOUND_MS = 15_000;

let bundled: Promise<string> | undefined;
/**
 * The backend as one plain script (esbuild, @lastcall/* from src through the root tsconfig's paths),
 * built once per test process: a process starts in ~100 ms instead of a transpiler's second.
 */
export function backendScript(): Promise<string> {
  bundled ??= (async () => {
    const root = path.resolve(__dirname, '../../..');
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'lastcall-e2e-bin-')), 'backend.cjs');
    await build({
      entryPoints: [path.join(__dirname, 'backend.ts')],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      tsconfig: path.join(root, 'tsconfig.json'),
      logLevel: 'error',
    });
    return out;
  })();
  return bundled;
}

/** Runs the whole thing; every child is stopped by its pid before it returns or throws. */
export async function rollingRestart(options: RollingOptions): Promise<RollingResult> {
  const binary = findBinary(binaryOf(options.kind));
  if (binary === undefined) throw new Error(`${binaryOf(options.kind)} is not installed`);
  const count = options.backends ?? 3;
  const rounds = options.rounds ?? 3;
  const log = options.log ?? (() => undefined);
  const script = await backendScript();
  const dir = mkdtempSync(path.join(os.tmpdir(), `lastcall-e2e-${options.kind}-`));
  const ports = await freePorts(1 + 2 * count);
  const front = ports[0] as number;
  const slots: BackendSlot[] = Array.from({ length: count }, (_, i) => ({
    port: ports[1 + i] as number,
    agentPort: ports[1 + count + i] as number,
  }));
  const live: Child[] = [];
  let balancer: Child | undefined;
  let load: ReturnType<typeof startLoad> | undefined;

  const startBackend = async (slot: BackendSlot, index: number): Promise<Child> => {
    const child = startChild(`backend ${index}`, process.execPath, [script], {
      ...options.backendEnv,
      [BACKEND_ENV.port]: String(slot.port),
      [BACKEND_ENV.agentPort]: options.kind === 'haproxy-agent' ? String(slot.agentPort) : '0',
      [BACKEND_ENV.fall]: String(FALL),
    });
    live.push(child);
    await child.waitForLine(/^READY/, START_BOUND_MS);
    return child;
  };

  try {
    const backends = await Promise.all(slots.map(startBackend));
    balancer = await startBalancer(
      {
        kind: options.kind,
        dir,
        port: front,
        backends: slots,
        checkIntervalMs: CHECK_INTERVAL_MS,
        fall: FALL,
        ...(options.nextUpstream === undefined ? {} : { nextUpstream: options.nextUpstream }),
      },
      binary,
    );
    const roundMs = count * (EXIT_BOUND_MS + START_BOUND_MS + SERVE_BOUND_MS);
    load = startLoad(front, options.clients ?? 8, (options.steadyMs ?? 1_000) + rounds * roundMs + 10_000);
    // Every backend serves through the balancer before anything is measured.
    await Promise.all(backends.map((backend) => backend.waitForLine(/^FIRST_REQUEST/, SERVE_BOUND_MS)));
    load.phase('steady');
    await new Promise((resolve) => setTimeout(resolve, options.steadyMs ?? 1_000));
    load.phase('restart');

    const shutdowns: Shutdown[] = [];
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < count; i++) {
        const old = backends[i] as Child;
        const signalled = performance.now();
        const exitCode = await old.stop('SIGTERM', EXIT_BOUND_MS);
        const sigtermToExitMs = Math.round(performance.now() - signalled);
        const line = old.lines.find((l) => l.startsWith('EXIT '));
        const exit = line === undefined ? undefined : (JSON.parse(line.slice(5)) as BackendExit);
        shutdowns.push({ exitCode, sigtermToExitMs, exit });
        log(
          `round ${round} backend ${i}: exit ${exitCode} after ${sigtermToExitMs} ms; failed so far ${load.counts.failed}`,
        );
        const next = await startBackend(slots[i] as BackendSlot, i);
        backends[i] = next;
        // A deploy waits for the new instance to be in rotation before it stops the next one.
        await next.waitForLine(/^FIRST_REQUEST/, SERVE_BOUND_MS);
      }
    }
    load.phase('after');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const haproxyConnects =
      options.kind === 'nginx' ? undefined : (await haproxyStats(dir)).reduce((sum, s) => sum + s.connect, 0);
    const counts = await load.stop();
    load = undefined;
    return {
      counts,
      shutdowns,
      steadyP99Ms: percentile(counts.latencies.steady ?? [], 99),
      restartP99Ms: percentile(counts.latencies.restart ?? [], 99),
      ...(haproxyConnects === undefined ? {} : { haproxyConnects }),
    };
  } finally {
    await load?.stop();
    await balancer?.stop('SIGTERM', 5_000);
    await Promise.all(live.map((child) => child.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  }
}
