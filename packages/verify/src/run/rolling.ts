import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BackendSlot, type BalancerKind, findBinary, haproxyStats, startBalancer } from '../balancers.js';
import { VerifyError } from '../errors.js';
import { type Load, type LoadCounts, subtract } from '../load.js';
import { type Child, freePorts, sleep } from '../processes.js';
import type { RunReport } from '../report.js';
import { readyWithin, type ServiceSpec, startInstance, watchShutdown } from '../service.js';
import {
  type CommonRunOptions,
  crashed,
  executable,
  exitBound,
  exitLine,
  exitPart,
  loadFor,
  progressLine,
  sendSlow,
  signalAndAwait,
  steadyOrCrash,
} from './common.js';

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
        const exit = await signalAndAwait(old, options.signal, bound, watcher);
        lines.push(old.lines);
        const next = await start(i);
        instances[i] = next;
        // A deploy waits for the new instance to be in rotation before it stops the next one.
        await inRotation(next, i);
        const counts = subtract(load.snapshot(), snapshot);
        const run = runs.length + 1;
        runs.push({ mode: 'rolling', run, instance: i, ...(await exitPart(options, counts, slow, exit)) });
        options.progress(exitLine(`restart ${run}/${options.rounds * count} (instance ${i})`, counts, exit));
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
