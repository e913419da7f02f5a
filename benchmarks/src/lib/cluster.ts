// What the cluster-restart scenario, its service (cluster-service.ts) and its load client
// (cluster-load.ts) agree on: the modes, the environment, the timings, and the lines and messages.

/** Environment variable naming the workers' shutdown: one of CLUSTER_MODES. */
export const CLUSTER_MODE_ENV = 'BENCH_CLUSTER_MODE';
/** Environment variable with the port every worker listens on. */
export const CLUSTER_PORT_ENV = 'BENCH_CLUSTER_PORT';
/** Environment variable with the number of workers. */
export const CLUSTER_WORKERS_ENV = 'BENCH_CLUSTER_WORKERS';

/** The shutdowns measured, by adapter id. */
export const CLUSTER_MODES = ['lastcall', 'node-close', 'http-terminator'] as const;
export type ClusterMode = (typeof CLUSTER_MODES)[number];

/** How long each application request takes, in ms: something is always in flight at the shutdown message. */
export const CLUSTER_WORK_MS = 5;
/** A worker's warm-up before it listens, in ms (the ready message follows `listening`). */
export const CLUSTER_WARMUP_MS = 200;
/** Graceful period of every worker's drain, in ms: far past any request's 5 ms. */
export const CLUSTER_GRACEFUL_MS = 5_000;
/**
 * lastcall's idle grace in a worker, in ms: docs/cluster.md's advice (a draining worker is in no
 * hurry, and the core's 100 ms races a client slow to send its next request on a loaded machine).
 */
export const CLUSTER_IDLE_GRACE_MS = 2_000;
/** Time a new worker has from its fork to say ready, in ms (both primaries). */
export const CLUSTER_READY_TIMEOUT_MS = 15_000;
/** Time a worker has from the shutdown message to exit before SIGKILL, in ms (both primaries). */
export const CLUSTER_WORKER_DEADLINE_MS = 10_000;

/** One old worker's stop, as the primary saw it. */
export interface ClusterStop {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Killed at CLUSTER_WORKER_DEADLINE_MS. */
  readonly forced: boolean;
  /** Shutdown message to exit, in ms. */
  readonly drainMs: number;
}

/** The `RESTART {json}` line the primary prints after each rolling restart. */
export interface ClusterRestartLine {
  readonly outcome: 'ok' | 'failed' | 'aborted';
  readonly durationMs: number;
  readonly stops: readonly ClusterStop[];
}

/** The scenario's commands to its load client (IPC). */
export type ClusterLoadCommand =
  | { readonly type: 'start'; readonly port: number; readonly clients: number; readonly maxMs: number }
  | { readonly type: 'phase'; readonly label: string }
  | { readonly type: 'stop' };

/** The load client's answers: `loading` after its first successful request, `done` after `stop`. */
export type ClusterLoadEvent =
  | { readonly type: 'loading' }
  | {
      readonly type: 'done';
      readonly ok: number;
      readonly failed: number;
      readonly causes: Record<string, number>;
      /** p99 of the successful requests' latency per phase label, in ms. */
      readonly p99Ms: Record<string, number>;
      /** Successful requests per phase label. */
      readonly okByPhase: Record<string, number>;
    };
