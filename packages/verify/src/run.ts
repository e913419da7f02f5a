// The three shutdowns: a signal to the service itself (`signal`), rolling restarts of instances
// behind a generated HAProxy or nginx (`rolling`), and `pm2 reload` of the user's ecosystem file
// (`pm2`). Each run keeps the load going across the shutdown and reports what the clients saw.
// Every process started here is stopped by its pid before the function returns or throws.
import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BackendSlot, type BalancerKind, findBinary, haproxyStats, startBalancer } from './balancers.js';
import { VerifyError } from './errors.js';
import { type Answer, failureCause, type Load, type LoadCounts, request, startLoad, subtract } from './load.js';
import { alive, type Child, freePorts, onKill, sleep, waitForListen } from './processes.js';
import type { RunReport, SlowRequest } from './report.js';
import { readyWithin, type ServiceSpec, startInstance, watchShutdown } from './service.js';

/** What the load sends, shared by the modes. */
export interface LoadShape {
  readonly clients?: number;
  readonly get?: readonly string[];
  readonly post?: readonly string[];
  readonly postShare?: number;
  readonly bodySize?: number;
  readonly requestTimeout?: number;
  readonly think?: number;
  readonly check?: (answer: Answer) => boolean;
}

export interface CommonRunOptions {
  readonly service: ServiceSpec;
  readonly load: LoadShape;
  /** Steady load before the first shutdown, in milliseconds. */
  readonly steady: number;
  /** The budget a shutdown must fit, in milliseconds; undefined: no budget (the exit is awaited 60 s). */
  readonly grace?: number | undefined;
  /** A path whose answer takes a while: one GET is in flight at each signal. */
  readonly slow?: string | undefined;
  readonly signal: NodeJS.Signals;
  /** Progress lines. */
  readonly progress: (line: string) => void;
}

/** How long an exit is awaited after the signal before SIGKILL, in milliseconds: the budget and 5 s, or 60 s. */
function exitBound(grace: number | undefined): number {
  return grace === undefined ? 60_000 : grace + 5_000;
}

/** Resolves with the exit code, or SIGKILLs the child once `ms` has passed (resolving with 'SIGKILL'). */
async function awaitExit(child: Child, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const first = await Promise.race([child.exited, late]);
  clearTimeout(timer);
  if (first !== 'late') return first;
  await child.stop('SIGKILL', 1_000);
  return 'SIGKILL';
}

/** Waits `ms` unless the child exits first: then the service crashed under load. */
async function steadyOrCrash(child: Child, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const wait = new Promise<'waited'>((resolve) => {
    timer = setTimeout(() => resolve('waited'), ms);
  });
  const first = await Promise.race([child.exited, wait]);
  clearTimeout(timer);
  if (first !== 'waited') throw crashed(child, what);
}

function crashed(child: Child, what: string): VerifyError {
  return new VerifyError(
    'crashed',
    `${child.name} (pid ${child.pid}) exited (${String(child.exitCode)}) ${what}, before it was signalled: it crashed under load. Its last lines:\n${child.lines.slice(-15).join('\n')}`,
  );
}

/** Sends the slow request; resolves with its outcome (bounded by its own timeout). */
function sendSlow(port: number, slowPath: string, timeout: number): Promise<SlowRequest> {
  return request(port, false, 'GET', slowPath, undefined, timeout).then(
    (answer) =>
      answer.status >= 200 && answer.status < 300
        ? { path: slowPath, completed: true }
        : { path: slowPath, completed: false, cause: `status ${answer.status}` },
    (error: unknown) => ({ path: slowPath, completed: false, cause: failureCause(error) }),
  );
}

function loadFor(port: number, shape: LoadShape, maxDuration: number): Load {
  return startLoad({ ...shape, port, maxDuration });
}

function countsPart(counts: LoadCounts): Pick<RunReport, 'ok' | 'posts' | 'failed' | 'causes' | 'refused'> {
  return { ok: counts.ok, posts: counts.posts, failed: counts.failed, causes: counts.causes, refused: counts.refused };
}

function progressLine(run: string, counts: LoadCounts): string {
  return `${run}: ${counts.ok} ok, ${counts.failed} failed, ${counts.refused} refused`;
}

export interface SignalOptions extends CommonRunOptions {
  /** How many times the service is started, loaded and signalled. */
  readonly runs: number;
  /** The service's port; undefined: a free one (given in the port variable). */
  readonly port?: number | undefined;
}

/** `signal`: start, load, signal mid-load, await the exit; `runs` times. */
export async function runSignal(options: SignalOptions): Promise<RunReport[]> {
  const port = options.port ?? ((await freePorts(1))[0] as number);
  const reports: RunReport[] = [];
  for (let run = 1; run <= options.runs; run++) {
    const child = await startInstance(options.service, port, 'service');
    options.progress(`service (pid ${child.pid}) listens on 127.0.0.1:${port}`);
    const bound = exitBound(options.grace);
    let load: Load | undefined;
    try {
      load = loadFor(port, options.load, options.steady + bound + 30_000);
      await steadyOrCrash(child, options.steady, 'during the steady load');
      options.progress(progressLine(`steady load (${options.steady} ms)`, load.counts));
      let slow: Promise<SlowRequest> | undefined;
      if (options.slow !== undefined) {
        slow = sendSlow(port, options.slow, bound);
        // Long enough for the request to reach its handler before the signal.
        await steadyOrCrash(child, 200, 'with the slow request in flight');
      }
      const watcher = watchShutdown(port, options.service.readiness);
      const signalled = performance.now();
      child.process.kill(options.signal);
      const exitCode = await awaitExit(child, bound);
      const signalToExit = Math.round(performance.now() - signalled);
      const order = await watcher.stop();
      const counts = await load.stop();
      load = undefined;
      const report: RunReport = {
        mode: 'signal',
        run,
        ...countsPart(counts),
        ...(slow === undefined ? {} : { slow: await slow }),
        signal: options.signal,
        exitCode,
        signalToExit,
        ...order,
        ...(options.grace === undefined ? {} : { fitsGrace: signalToExit <= options.grace }),
      };
      reports.push(report);
      options.progress(
        `${progressLine(`${options.signal} ${run}/${options.runs}`, counts)}; exit ${exitCode} after ${signalToExit} ms`,
      );
    } finally {
      await load?.stop();
      await child.stop('SIGKILL');
    }
  }
  return reports;
}

export interface RollingRunOptions extends CommonRunOptions {
  /** `nginx`, or HAProxy: `haproxy-httpchk` (checks the readiness path, or a TCP connect without one) or `haproxy-agent`. */
  readonly kind: BalancerKind;
  /** Instances behind the balancer (at least 2). */
  readonly instances: number;
  /** Rounds: each restarts every instance once, one after the other. */
  readonly rounds: number;
  /** The balancer's binary; undefined: found on the PATH or in /usr/sbin. */
  readonly balancerBinary?: string | undefined;
  /** The user's balancer config with placeholders, instead of the generated one. */
  readonly balancerConfig?: string | undefined;
  /** Health-check interval of the generated config, in milliseconds (HAProxy `inter`). */
  readonly checkInterval: number;
  /** Failed checks that take an instance out (HAProxy `fall`). */
  readonly fall: number;
  /** nginx only: `false` leaves out `proxy_next_upstream`. */
  readonly nextUpstream?: boolean;
  /** The service of instance `index` (default: `service` with the slot's port). */
  readonly instanceSpec?: (slot: BackendSlot, index: number) => ServiceSpec;
  /** Resolves once a (re)started instance is in the balancer's rotation (default: HAProxy says UP; nginx: it is ready). */
  readonly inRotation?: (child: Child, index: number) => Promise<void>;
  /** A port of its own for each instance's probes (HAProxy checks `probePath` there). */
  readonly probePath?: string;
  /** Whether each instance gets an agent-check port in its slot. */
  readonly agentPorts?: boolean;
}

/** What the e2e tests and the benchmark read beyond the reports. */
export interface RollingOutcome {
  readonly runs: RunReport[];
  /** All the load's counts, latencies by phase (`steady`, `restart`, `after`). */
  readonly counts: LoadCounts;
  /** Each shutdown's instance output lines, in the order of `runs`. */
  readonly lines: string[][];
  /** HAProxy's count of connections it opened to the instances, at the first signal and at the end (generated HAProxy only). */
  readonly connects?: { readonly before: number; readonly after: number };
}

/** Bound of the wait for an instance to be in rotation, in milliseconds. */
const ROTATION_BOUND = 10_000;

/** `file` when it is an executable file, else undefined. */
function executable(file: string): string | undefined {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/** `rolling`: instances behind a balancer under load; each restarted in turn, `rounds` times. */
export async function runRolling(options: RollingRunOptions): Promise<RollingOutcome> {
  const binaryName = options.kind === 'nginx' ? 'nginx' : 'haproxy';
  const binary = options.balancerBinary === undefined ? findBinary(binaryName) : executable(options.balancerBinary);
  if (binary === undefined) {
    throw new VerifyError(
      'missing-binary',
      `${options.balancerBinary ?? binaryName} is not installed (${options.balancerBinary === undefined ? 'not on the PATH nor in /usr/sbin' : 'no executable file there'}): install it (apt-get install -y ${binaryName}, apk add ${binaryName}, brew install ${binaryName}) or pick the other balancer (--balancer)`,
    );
  }
  if (options.instances < 2)
    throw new VerifyError('usage', `--instances must be 2 or more, received ${options.instances}`);
  const count = options.instances;
  const dir = mkdtempSync(path.join(os.tmpdir(), `lastcall-verify-${options.kind}-`));
  // nginx's workers run as another user when it starts as root (CI): they write request bodies to
  // the temp paths in this folder, which mkdtemp made private (a POST then gets a 500).
  chmodSync(dir, 0o755);
  const ports = await freePorts(1 + 3 * count);
  const front = ports[0] as number;
  const slots: BackendSlot[] = Array.from({ length: count }, (_, i) => ({
    port: ports[1 + i] as number,
    agentPort: ports[1 + count + i] as number,
    ...(options.probePath === undefined ? {} : { probePort: ports[1 + 2 * count + i] as number }),
  }));
  const generatedHaproxy = options.kind !== 'nginx' && options.balancerConfig === undefined;
  const specOf = (i: number): ServiceSpec => options.instanceSpec?.(slots[i] as BackendSlot, i) ?? options.service;
  const live: Child[] = [];
  let balancer: Child | undefined;
  let load: Load | undefined;
  const connectsNow = async (): Promise<number> =>
    (await haproxyStats(dir)).reduce((sum, server) => sum + server.connect, 0);

  const inRotation = async (child: Child, i: number): Promise<void> => {
    if (options.inRotation !== undefined) return options.inRotation(child, i);
    const until = performance.now() + ROTATION_BOUND;
    if (generatedHaproxy) {
      while (performance.now() < until) {
        const stat = (await haproxyStats(dir)).find((server) => server.name === `b${i}`);
        if (stat?.status.startsWith('UP')) return;
        await sleep(50);
      }
      throw new VerifyError(
        'readiness',
        `HAProxy did not put instance ${i} back in rotation within ${ROTATION_BOUND} ms`,
      );
    }
    // nginx (passive checks) and a config of the user's: ready, then one check interval for the balancer.
    const readiness = specOf(i).readiness;
    if (readiness !== undefined) await readyWithin((slots[i] as BackendSlot).port, readiness, child, ROTATION_BOUND);
    await sleep(options.checkInterval * 2);
  };
  const start = async (i: number): Promise<Child> => {
    const child = await startInstance(specOf(i), (slots[i] as BackendSlot).port, `instance ${i}`);
    live.push(child);
    return child;
  };

  try {
    const instances = await Promise.all(slots.map((_, i) => start(i)));
    balancer = await startBalancer(
      {
        kind: options.kind,
        dir,
        port: front,
        backends: slots,
        checkIntervalMs: options.checkInterval,
        fall: options.fall,
        checkPath: options.probePath ?? options.service.readiness,
        template: options.balancerConfig,
        ...(options.nextUpstream === undefined ? {} : { nextUpstream: options.nextUpstream }),
      },
      binary,
    );
    options.progress(
      `${binaryName} (pid ${balancer.pid}) on 127.0.0.1:${front} in front of ${instances.map((child, i) => `pid ${child.pid} on :${(slots[i] as BackendSlot).port}`).join(', ')}`,
    );
    const bound = exitBound(options.grace);
    const perRestart = bound + 2 * (options.service.startTimeout ?? 30_000) + ROTATION_BOUND;
    load = loadFor(front, options.load, options.steady + options.rounds * count * perRestart + 10_000);
    await Promise.all(instances.map((child, i) => inRotation(child, i)));
    load.phase('steady');
    for (const [i, child] of instances.entries())
      await steadyOrCrash(child, i === 0 ? options.steady : 0, 'during the steady load');
    options.progress(progressLine(`steady load (${options.steady} ms)`, load.counts));
    const before = generatedHaproxy ? await connectsNow() : undefined;
    load.phase('restart');
    const runs: RunReport[] = [];
    const lines: string[][] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < count; i++) {
        const old = instances[i] as Child;
        if (old.exitCode !== undefined) throw crashed(old, 'under load behind the balancer');
        const slot = slots[i] as BackendSlot;
        const snapshot = load.snapshot();
        const slow = options.slow === undefined ? undefined : sendSlow(slot.port, options.slow, bound);
        if (slow !== undefined) await sleep(200);
        // Behind the generated HAProxy the readiness turn is read from HAProxy's check, not probed:
        // a probe of ours would be one more not-ready answer, and a backend that counts its
        // checker's answers (AcknowledgedDelayDrain, fall 2) would close its listener after
        // HAProxy's first failed check, while HAProxy still routes to it (connects refused,
        // each retried after HAProxy's 1 s turn-around: restart p99 ~1 to 3 s).
        const checked = generatedHaproxy && options.kind === 'haproxy-httpchk' && specOf(i).readiness !== undefined;
        const watcher = watchShutdown(
          slot.port,
          specOf(i).readiness,
          checked
            ? () =>
                haproxyStats(dir).then(
                  (stats) => stats.some((s) => s.name === `b${i}` && s.checkStatus === 'L7STS'),
                  // A stats socket that does not answer this once: asked again in 20 ms.
                  () => false,
                )
            : undefined,
        );
        const signalled = performance.now();
        old.process.kill(options.signal);
        const exitCode = await awaitExit(old, bound);
        const signalToExit = Math.round(performance.now() - signalled);
        const order = await watcher.stop();
        lines.push(old.lines);
        const next = await start(i);
        instances[i] = next;
        // A deploy waits for the new instance to be in rotation before it stops the next one.
        await inRotation(next, i);
        const counts = subtract(load.snapshot(), snapshot);
        const run = runs.length + 1;
        runs.push({
          mode: 'rolling',
          run,
          instance: i,
          ...countsPart(counts),
          ...(slow === undefined ? {} : { slow: await slow }),
          signal: options.signal,
          exitCode,
          signalToExit,
          ...order,
          ...(options.grace === undefined ? {} : { fitsGrace: signalToExit <= options.grace }),
        });
        options.progress(
          `${progressLine(`restart ${run}/${options.rounds * count} (instance ${i})`, counts)}; exit ${exitCode} after ${signalToExit} ms`,
        );
      }
    }
    load.phase('after');
    await sleep(300);
    const after = generatedHaproxy ? await connectsNow() : undefined;
    const counts = await load.stop();
    load = undefined;
    return {
      runs,
      counts,
      lines,
      ...(before === undefined || after === undefined ? {} : { connects: { before, after } }),
    };
  } finally {
    await load?.stop();
    await balancer?.stop('SIGTERM', 5_000);
    await Promise.all(live.map((child) => child.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Pm2RunOptions extends CommonRunOptions {
  /** The user's ecosystem file. */
  readonly ecosystem: string;
  /** `pm2 reload`s under load. */
  readonly reloads: number;
  /** The port the app listens on (all its instances: cluster mode). */
  readonly port: number;
  /** The pm2 binary; undefined: `pm2` on the PATH, else ./node_modules/.bin/pm2. */
  readonly pm2?: string | undefined;
}

/** Bound of each pm2 command, in milliseconds: a reload waits for new workers' starts and old ones' exits. */
const PM2_COMMAND_BOUND = 60_000;

function findPm2(): string | undefined {
  const local = executable(path.resolve('node_modules', '.bin', 'pm2'));
  if (local !== undefined) return local;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const found = dir === '' ? undefined : executable(path.join(dir, 'pm2'));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `pm2`: `pm2 start` of the ecosystem file with a PM2_HOME of its own, `pm2 reload` under load, `pm2 kill`. */
export async function runPm2(options: Pm2RunOptions): Promise<RunReport[]> {
  const pm2 = options.pm2 === undefined ? findPm2() : executable(options.pm2);
  if (pm2 === undefined) {
    throw new VerifyError(
      'missing-binary',
      `${options.pm2 ?? 'pm2'} is not installed${options.pm2 === undefined ? '' : ' (no executable file there)'}: npm install --save-dev pm2 (or give its path: --pm2)`,
    );
  }
  if (!existsSync(options.ecosystem)) {
    throw new VerifyError('usage', `--ecosystem: no file ${options.ecosystem} (from ${process.cwd()})`);
  }
  const home = mkdtempSync(path.join(os.tmpdir(), 'lastcall-verify-pm2-'));
  const env = {
    ...process.env,
    ...options.service.env,
    PM2_HOME: home,
    [options.service.portEnv ?? 'PORT']: String(options.port),
  };
  const ecosystem = path.resolve(options.ecosystem);
  const seen = new Set<number>();
  const daemonPid = (): number | undefined => {
    try {
      return Number(readFileSync(path.join(home, 'pm2.pid'), 'utf8'));
    } catch {
      return undefined;
    }
  };
  const run = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        pm2,
        args,
        {
          env,
          cwd: options.service.cwd,
          timeout: PM2_COMMAND_BOUND,
          killSignal: 'SIGKILL',
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`pm2 ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`));
          else resolve(stdout);
        },
      );
    });
  const workers = async (): Promise<Array<{ pid: number; status: string; restarts: number }>> => {
    const list = JSON.parse(await run(['jlist'])) as Array<{
      pid: number;
      pm2_env: { status: string; restart_time?: number };
    }>;
    const found = list.map((proc) => ({
      pid: proc.pid,
      status: proc.pm2_env.status,
      restarts: proc.pm2_env.restart_time ?? 0,
    }));
    for (const worker of found) if (worker.pid > 0) seen.add(worker.pid);
    return found;
  };
  const killEverything = (): void => {
    for (const pid of [daemonPid(), ...seen]) {
      if (pid !== undefined && pid > 0 && alive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
    }
  };
  const forget = onKill(killEverything);
  let load: Load | undefined;
  try {
    await run(['start', ecosystem]);
    if (!(await waitForListen(options.port, undefined, options.service.startTimeout ?? 30_000))) {
      throw new VerifyError(
        'never-listens',
        `the app of ${options.ecosystem} did not listen on 127.0.0.1:${options.port} within ${options.service.startTimeout ?? 30_000} ms: does it read ${options.service.portEnv ?? 'PORT'} (or give --port)?`,
      );
    }
    if (options.service.readiness !== undefined) {
      if (
        !(await readyWithin(options.port, options.service.readiness, undefined, options.service.startTimeout ?? 30_000))
      ) {
        throw new VerifyError('readiness', `GET ${options.service.readiness} did not answer 200 under pm2`);
      }
    }
    const startWorkers = await workers();
    const restartsAtStart = startWorkers.reduce((sum, worker) => sum + worker.restarts, 0);
    load = loadFor(options.port, options.load, options.steady + options.reloads * (PM2_COMMAND_BOUND + 5_000) + 10_000);
    await sleep(options.steady);
    options.progress(progressLine(`steady load (${options.steady} ms)`, load.counts));
    const reports: RunReport[] = [];
    for (let reload = 1; reload <= options.reloads; reload++) {
      const snapshot = load.snapshot();
      const slow =
        options.slow === undefined ? undefined : sendSlow(options.port, options.slow, exitBound(options.grace));
      if (slow !== undefined) await sleep(200);
      const started = performance.now();
      await run(['reload', ecosystem]);
      const reloadTime = Math.round(performance.now() - started);
      // The new workers take the load for a moment before the next reload, as in a deploy.
      await sleep(500);
      const now = await workers();
      const restarts = now.reduce((sum, worker) => sum + worker.restarts, 0);
      const counts = subtract(load.snapshot(), snapshot);
      reports.push({
        mode: 'pm2',
        run: reload,
        ...countsPart(counts),
        ...(slow === undefined ? {} : { slow: await slow }),
        reloadTime,
        // pm2 does not report a worker's exit code on reload; a worker that is not online after it crashed.
        exitCode: now.every((worker) => worker.status === 'online')
          ? 0
          : `workers ${now.map((w) => w.status).join(', ')}`,
        ...(options.grace === undefined ? {} : { fitsGrace: reloadTime <= options.grace * Math.max(1, now.length) }),
      });
      options.progress(`${progressLine(`pm2 reload ${reload}/${options.reloads}`, counts)}; took ${reloadTime} ms`);
      if (restarts - restartsAtStart > reload * now.length * 2) {
        throw new VerifyError(
          'crashed',
          `pm2 restarted the app's workers ${restarts - restartsAtStart} times: it crashes under load (pm2 logs in ${home})`,
        );
      }
    }
    await load.stop();
    load = undefined;
    return reports;
  } finally {
    await load?.stop();
    try {
      await run(['kill']);
    } catch {
      // Killed by pid below.
    }
    killEverything();
    forget();
    rmSync(home, { recursive: true, force: true });
  }
}
