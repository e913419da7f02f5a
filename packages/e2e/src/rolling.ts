// One rolling-restart run of this repository's own backend (backend.ts): verify's rolling mode
// (packages/verify, the same code as `lastcall-verify --mode rolling`) with a balancer in front of N
// backend processes under keep-alive load of GETs and POSTs with a body; each backend in turn gets
// SIGTERM and, once it has exited, a new one takes its port (a static balancer config, as a systemd
// or PM2 deploy behind HAProxy/nginx has). Returns what the clients saw.
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Answer, type BalancerKind, type LoadCounts, percentile, runRolling } from '../../verify/src/harness';
import { BACKEND_ENV, type BackendExit, READINESS_PATH } from './protocol';

export interface RollingOptions {
  readonly kind: BalancerKind;
  /** Backend processes behind the balancer. */
  readonly backends?: number;
  /** Rounds: each restarts every backend once, one after the other. */
  readonly rounds?: number;
  /** Keep-alive clients through the balancer. */
  readonly clients?: number;
  /** Share of the requests that are POSTs with a body (checked for the complete echo), 0 to 1 (default 0.25; 0 with `script`, whose answers may differ). */
  readonly postShare?: number;
  /** Checks each complete 2xx answer (default `completeAnswer` for this package's backend; none with `script`). */
  readonly check?: (answer: Answer) => boolean;
  /** Steady-state load before the first restart, in ms. */
  readonly steadyMs?: number;
  /** Extra environment of every backend (the switches in BACKEND_ENV). */
  readonly backendEnv?: Readonly<Record<string, string>>;
  /** nginx only: `false` leaves out `proxy_next_upstream`. */
  readonly nextUpstream?: boolean;
  /** Progress lines, for a benchmark or a debugging run. */
  readonly log?: (line: string) => void;
  /** The backend's script, run with `node`; defaults to this package's backend.ts, bundled once. */
  readonly script?: string;
  /**
   * The backend serves its readiness on a port of its own (BACKEND_ENV.probePort) at `path`:
   * HAProxy's check goes there (HAProxy only).
   */
  readonly probe?: { readonly path: string };
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
  /** Of those, the ones it opened from the first SIGTERM to the end (HAProxy only). */
  readonly restartConnects?: number;
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
    // Loaded here only: a caller that brings its own script (the benchmark) needs no esbuild.
    const { build } = await import('esbuild');
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

/** The backend's answers: `ok <pid>` to a GET, `ok <pid> <bytes received>` to a POST (the body arrived whole). */
export function completeAnswer(answer: Answer): boolean {
  return answer.method === 'POST'
    ? new RegExp(`^ok \\d+ ${answer.sent}\\n$`).test(answer.body)
    : /^ok \d+\n$/.test(answer.body);
}

/** Runs the whole thing; every child is stopped by its pid before it returns or throws. */
export async function rollingRestart(options: RollingOptions): Promise<RollingResult> {
  const script = options.script ?? (await backendScript());
  const agent = options.kind === 'haproxy-agent';
  const outcome = await runRolling({
    kind: options.kind,
    instances: options.backends ?? 3,
    rounds: options.rounds ?? 3,
    checkInterval: CHECK_INTERVAL_MS,
    fall: FALL,
    ...(options.nextUpstream === undefined ? {} : { nextUpstream: options.nextUpstream }),
    ...(options.probe === undefined ? {} : { probePath: options.probe.path }),
    // The generated HAProxy config checks READINESS_PATH (option httpchk), or the agent says "drain".
    service: {
      command: [process.execPath, script],
      portEnv: BACKEND_ENV.port,
      startTimeout: START_BOUND_MS,
      ...(options.probe === undefined ? { readiness: READINESS_PATH } : {}),
    },
    instanceSpec: (slot) => ({
      command: [process.execPath, script],
      portEnv: BACKEND_ENV.port,
      startTimeout: START_BOUND_MS,
      ...(options.probe === undefined ? { readiness: READINESS_PATH } : {}),
      env: {
        ...options.backendEnv,
        [BACKEND_ENV.agentPort]: agent ? String(slot.agentPort) : '0',
        [BACKEND_ENV.fall]: String(FALL),
        ...(slot.probePort === undefined ? {} : { [BACKEND_ENV.probePort]: String(slot.probePort) }),
      },
    }),
    // In rotation: the backend has served its first request through the balancer.
    inRotation: async (child) => {
      await child.waitForLine(/^READY/, START_BOUND_MS);
      await child.waitForLine(/^FIRST_REQUEST/, SERVE_BOUND_MS);
    },
    load: {
      clients: options.clients ?? 8,
      get: ['/'],
      post: ['/echo'],
      postShare: options.postShare ?? (options.script === undefined ? 0.25 : 0),
      bodySize: 16 * 1024,
      ...(options.check !== undefined
        ? { check: options.check }
        : options.script === undefined
          ? { check: completeAnswer }
          : {}),
    },
    steady: options.steadyMs ?? 1_000,
    grace: EXIT_BOUND_MS - 10_000,
    signal: 'SIGTERM',
    progress: options.log ?? (() => undefined),
  });
  const shutdowns = outcome.runs.map((run, i) => {
    const line = outcome.lines[i]?.find((l) => l.startsWith('EXIT '));
    return {
      exitCode: run.exitCode ?? 'unknown',
      sigtermToExitMs: run.signalToExit ?? 0,
      exit: line === undefined ? undefined : (JSON.parse(line.slice(5)) as BackendExit),
    };
  });
  const counts = outcome.counts;
  return {
    counts,
    shutdowns,
    steadyP99Ms: percentile(counts.latencies.steady ?? [], 99),
    restartP99Ms: percentile(counts.latencies.restart ?? [], 99),
    ...(outcome.connects === undefined
      ? {}
      : {
          haproxyConnects: outcome.connects.after,
          restartConnects: outcome.connects.after - outcome.connects.before,
        }),
  };
}
