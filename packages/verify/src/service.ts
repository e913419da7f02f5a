// The user's service: one instance started as a child with the port in its environment, awaited
// until it accepts connections and (with a readiness path) answers 200 there, every wait bounded.
// While it shuts down, a watcher probes readiness and the listener to tell which changed first.
import { VerifyError } from './errors.js';
import { request } from './load.js';
import { accepts, type Child, portFree, sleep, startChild, waitForListen } from './processes.js';

export interface ServiceSpec {
  /** The command and its arguments, as after `--`. */
  readonly command: readonly string[];
  /** Extra environment of every instance. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the instances (default: the tool's). */
  readonly cwd?: string | undefined;
  /** The variable the port goes in (default `PORT`). */
  readonly portEnv?: string;
  /** A readiness path, `/readyz`: awaited at start, watched during the shutdown. */
  readonly readiness?: string | undefined;
  /** Bound of the wait until it listens (and is ready), in milliseconds (default 30000). */
  readonly startTimeout?: number;
}

/** Starts one instance on `port`; resolves once it listens and (with readiness) answers 200. */
export async function startInstance(spec: ServiceSpec, port: number, name: string): Promise<Child> {
  const bound = spec.startTimeout ?? 30_000;
  if (!(await portFree(port))) {
    throw new VerifyError(
      'port-in-use',
      `port ${port} on 127.0.0.1 is already in use by another process: stop it, or give another port (--port)`,
    );
  }
  const [command, ...args] = spec.command;
  if (command === undefined) throw new VerifyError('usage', 'no command: give it after --, e.g. -- node server.js');
  let child: Child;
  try {
    child = startChild(name, command, args, { ...spec.env, [spec.portEnv ?? 'PORT']: String(port) }, spec.cwd);
  } catch (error) {
    throw new VerifyError('never-listens', `${name}: ${(error as Error).message}`);
  }
  const started = performance.now();
  if (!(await waitForListen(port, child, bound))) {
    const exited = child.exitCode;
    await child.stop('SIGKILL');
    const tail = child.lines.slice(-15).join('\n');
    throw new VerifyError(
      'never-listens',
      exited === undefined
        ? `${name} (pid ${child.pid}) did not listen on 127.0.0.1:${port} within ${bound} ms: does it read the port from ${spec.portEnv ?? 'PORT'} (or give --port) and listen on 127.0.0.1 or all addresses? Its last lines:\n${tail}`
        : `${name} (pid ${child.pid}) exited (${exited}) before it listened on 127.0.0.1:${port}. Its last lines:\n${tail}`,
    );
  }
  if (spec.readiness !== undefined) {
    const left = bound - (performance.now() - started);
    if (!(await readyWithin(port, spec.readiness, child, left))) {
      await child.stop('SIGKILL');
      throw new VerifyError(
        'readiness',
        `${name} listens on ${port} but GET ${spec.readiness} did not answer 200 within ${bound} ms of its start: check the path (--readiness) or that it turns ready`,
      );
    }
  }
  return child;
}

/** Whether GET `path` answers 200 within `ms` (tried every 50 ms on a new connection). */
export async function readyWithin(port: number, path: string, child: Child | undefined, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until && child?.exitCode === undefined) {
    if ((await probe(port, path)) === 200) return true;
    await sleep(50);
  }
  return false;
}

/** The status of GET `path` on a fresh connection, or undefined when none came (within 1 s). */
export async function probe(port: number, path: string): Promise<number | undefined> {
  try {
    return (await request(port, false, 'GET', path, undefined, 1_000)).status;
  } catch {
    return undefined;
  }
}

/** When readiness stopped answering 200 and when the listener stopped accepting, after the signal (ms). */
export interface ShutdownOrder {
  /** Readiness turned 503 (or any other non-200 answer) this long after the signal; undefined: never seen. */
  readonly readinessTurned?: number;
  /** The listener refused connections from this long after the signal; undefined: it accepted until the exit. */
  readonly listenerClosed?: number;
}

/**
 * Probes readiness (when given) and the listener every 20 ms until `stop()`. With `turned`, readiness
 * is not probed: `turned` says whether it has turned (the balancer's own view of its check), so the
 * watcher is not one more checker a backend counts (an acknowledged delay counts every not-ready
 * answer, whoever asked).
 */
export function watchShutdown(
  port: number,
  readiness: string | undefined,
  turned?: () => Promise<boolean>,
): { stop(): Promise<ShutdownOrder> } {
  const since = performance.now();
  let stopped = false;
  let readinessTurned: number | undefined;
  let listenerClosed: number | undefined;
  const loop = (async () => {
    for (let i = 0; i < 100_000 && !stopped; i++) {
      if (listenerClosed === undefined && !(await accepts(port))) listenerClosed = performance.now() - since;
      if (readiness !== undefined && readinessTurned === undefined && listenerClosed === undefined) {
        if (turned === undefined) {
          const status = await probe(port, readiness);
          if (status !== undefined && status !== 200) readinessTurned = performance.now() - since;
        } else if (await turned()) readinessTurned = performance.now() - since;
      }
      if (listenerClosed !== undefined && (readiness === undefined || readinessTurned !== undefined)) break;
      await sleep(20);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return {
        ...(readinessTurned === undefined ? {} : { readinessTurned: Math.round(readinessTurned) }),
        ...(listenerClosed === undefined ? {} : { listenerClosed: Math.round(listenerClosed) }),
      };
    },
  };
}
