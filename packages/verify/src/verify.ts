// verify(): the options checked, then each mode in turn, then one report.
import { VerifyError } from './errors.js';
import { freePorts, portFree } from './processes.js';
import { type RunReport, summarize, type VerifyMode, type VerifyReport } from './report.js';
import { runPm2, runRolling, runSignal } from './run.js';

/** What to start, what load to send and which shutdowns to run; every duration in milliseconds. */
export interface VerifyOptions {
  /** The command that starts the service and its arguments: `['node', 'dist/server.js']`. */
  readonly command: readonly string[];
  /** The shutdowns to run, in order (default `['signal']`). */
  readonly modes?: readonly VerifyMode[];
  /**
   * The service's port, when it does not read one from `portEnv` (`signal` and `pm2` only; `rolling`
   * runs several instances and always gives each its port). Default: a free port, in `portEnv`.
   */
  readonly port?: number;
  /** The environment variable the port is given in (default `PORT`). */
  readonly portEnv?: string;
  /** The readiness path (`/readyz`): awaited at start, its turn to 503 timed against the listener's close. Default: none. */
  readonly readiness?: string;
  /** Extra environment of the service. */
  readonly env?: Readonly<Record<string, string>>;
  /** The service's working directory (default: the current one). */
  readonly cwd?: string;
  /** Bound of the wait until the service listens and is ready (milliseconds, default 30000). */
  readonly startTimeout?: number;
  /** Paths of the GETs (default `['/']`). */
  readonly get?: readonly string[];
  /** Paths of the POSTs, each with a body (default none). */
  readonly post?: readonly string[];
  /** Share of the requests that are POSTs, 0 to 1 (default 0.25, when `post` names paths). */
  readonly postShare?: number;
  /** Bytes of each POST's body (default 1024). */
  readonly bodySize?: number;
  /** Keep-alive clients (default 8). */
  readonly clients?: number;
  /** A request not answered within this fails as `timeout` (milliseconds, default 5000). */
  readonly requestTimeout?: number;
  /** A slow path: one GET to it is in flight at each signal, and must complete. Default: none. */
  readonly slow?: string;
  /** The signal sent (default `SIGTERM`). */
  readonly signal?: 'SIGTERM' | 'SIGINT';
  /** `signal`: how many times the service is started, loaded and signalled (default 3). */
  readonly runs?: number;
  /** `rolling`: instances behind the balancer (default 2, at least 2). */
  readonly instances?: number;
  /** `rolling`: rounds, each restarting every instance once (default 2). */
  readonly rounds?: number;
  /** `rolling`: the balancer (default `haproxy`). */
  readonly balancer?: 'haproxy' | 'nginx';
  /** `rolling`: the user's balancer config, with `{{front}}`, `{{backend0}}`... `{{dir}}` placeholders. Default: generated. */
  readonly balancerConfig?: string;
  /** `rolling`: the haproxy or nginx binary (default: found on the PATH, else in /usr/sbin). */
  readonly balancerBinary?: string;
  /** `rolling`: the generated config's health-check interval (milliseconds, default 500). */
  readonly checkInterval?: number;
  /** `rolling`: failed checks that take an instance out (HAProxy `fall`, default 2). */
  readonly fall?: number;
  /** `pm2`: the ecosystem file. */
  readonly ecosystem?: string;
  /** `pm2`: `pm2 reload`s (default 3). */
  readonly reloads?: number;
  /** `pm2`: the pm2 binary (default: ./node_modules/.bin/pm2, else pm2 on the PATH). */
  readonly pm2?: string;
  /** The budget each shutdown must fit (milliseconds). Default: none. An exit is awaited this and 5 s more (60 s without a budget), then the instance is killed (SIGKILL). */
  readonly grace?: number;
  /** Steady load before the first shutdown of each mode (milliseconds, default 1000). */
  readonly steady?: number;
  /** Progress lines while it runs. */
  readonly onProgress?: (line: string) => void;
}

const MODES: readonly VerifyMode[] = ['signal', 'rolling', 'pm2'];

function positiveInteger(name: string, value: number | undefined, fallback: number, max = 1_000): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1 || chosen > max) {
    throw new VerifyError('usage', `${name} must be a whole number from 1 to ${max}, received ${String(value)}`);
  }
  return chosen;
}

function duration(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
    throw new VerifyError('usage', `${name} must be a duration of 0 ms or more, received ${String(value)}`);
  }
  return value;
}

function urlPath(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && !value.startsWith('/')) {
    throw new VerifyError('usage', `${name} must be a path starting with /, received ${JSON.stringify(value)}`);
  }
  return value;
}

/** Runs the modes against the service; resolves with the report (`passed` says whether it held). */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const modes = options.modes ?? ['signal'];
  if (options.command.length === 0 && !(modes.length === 1 && modes[0] === 'pm2')) {
    throw new VerifyError('usage', 'no command: give the service command after --, e.g. -- node server.js');
  }
  for (const mode of modes) {
    if (!MODES.includes(mode))
      throw new VerifyError('usage', `--mode must be signal, rolling or pm2, received ${JSON.stringify(mode)}`);
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535)) {
    throw new VerifyError('usage', `--port must be a TCP port from 1 to 65535, received ${String(options.port)}`);
  }
  if (modes.includes('pm2') && options.ecosystem === undefined) {
    throw new VerifyError('usage', '--mode pm2 needs the ecosystem file: --ecosystem ecosystem.config.js');
  }
  const postShare = options.postShare ?? 0.25;
  if (!(postShare >= 0 && postShare <= 1))
    throw new VerifyError('usage', `--post-share must be from 0 to 1, received ${postShare}`);
  for (const p of [...(options.get ?? []), ...(options.post ?? [])]) urlPath('--get/--post', p);
  const grace = duration('--grace', options.grace);
  const service = {
    command: options.command,
    env: options.env ?? {},
    cwd: options.cwd,
    portEnv: options.portEnv ?? 'PORT',
    readiness: urlPath('--readiness', options.readiness),
    startTimeout: duration('--start-timeout', options.startTimeout) ?? 30_000,
  };
  const common = {
    service,
    load: {
      clients: positiveInteger('--clients', options.clients, 8),
      get: options.get ?? ['/'],
      post: options.post ?? [],
      postShare,
      bodySize: options.bodySize ?? 1024,
      requestTimeout: duration('--request-timeout', options.requestTimeout) ?? 5_000,
    },
    steady: duration('--steady', options.steady) ?? 1_000,
    grace,
    slow: urlPath('--slow', options.slow),
    signal: options.signal ?? 'SIGTERM',
    progress: options.onProgress ?? (() => undefined),
  } as const;
  const runs: RunReport[] = [];
  for (const mode of modes) {
    if (mode === 'signal') {
      runs.push(
        ...(await runSignal({ ...common, runs: positiveInteger('--runs', options.runs, 3), port: options.port })),
      );
    } else if (mode === 'rolling') {
      const outcome = await runRolling({
        ...common,
        kind: options.balancer === 'nginx' ? 'nginx' : 'haproxy-httpchk',
        instances: positiveInteger('--instances', options.instances, 2, 16),
        rounds: positiveInteger('--rounds', options.rounds, 2),
        balancerConfig: options.balancerConfig,
        balancerBinary: options.balancerBinary,
        checkInterval: duration('--check-interval', options.checkInterval) ?? 500,
        fall: positiveInteger('--fall', options.fall, 2, 10),
      });
      runs.push(...outcome.runs);
    } else {
      const port = options.port ?? ((await freePorts(1))[0] as number);
      if (!(await portFree(port))) {
        throw new VerifyError(
          'port-in-use',
          `port ${port} on 127.0.0.1 is already in use by another process: stop it, or give another port (--port)`,
        );
      }
      runs.push(
        ...(await runPm2({
          ...common,
          ecosystem: options.ecosystem as string,
          reloads: positiveInteger('--reloads', options.reloads, 3),
          port,
          pm2: options.pm2,
        })),
      );
    }
  }
  return summarize(runs, grace);
}
