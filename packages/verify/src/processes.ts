// Child processes of a run (the service's instances, balancers, pm2): started with their output kept,
// each awaited for a line with a time bound, and stopped by its own pid, never by name. Every child
// is in `running` until it has exited, so a Ctrl-C or a failure of the tool itself stops them all.
import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Every line it printed on stdout and stderr, for failure messages. */
  readonly lines: string[];
  /** Resolves with the exit code (a signal name when killed by one). */
  readonly exited: Promise<number | string>;
  /** Resolves with the first line matching `pattern`; rejects when the bound passes or the child exits. */
  waitForLine(pattern: RegExp, ms: number): Promise<RegExpExecArray>;
  /** Sends `signal` if it is still running; SIGKILL after `killAfterMs`. Resolves when it has exited. */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<number | string>;
  /** The exit code once it has exited, else undefined. */
  readonly exitCode: number | string | undefined;
}

/** The children started and not yet exited. */
const running = new Set<Child>();

/** Stops every child still running (SIGTERM, SIGKILL after `killAfterMs`); resolves once all have exited. */
export async function stopAll(killAfterMs = 2_000): Promise<void> {
  await Promise.all([...running].map((child) => child.stop('SIGTERM', killAfterMs)));
}

/** Synchronous clean-ups for processes that are not our children (pm2's daemon and its workers). */
const cleanups = new Set<() => void>();

/** Registers `cleanup` for killAllNow; returns the function that removes it. */
export function onKill(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Kills every process still running at once, synchronously: the last resort on the way out. */
export function killAllNow(): void {
  for (const cleanup of cleanups) cleanup();
  for (const child of running) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export function startChild(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Child {
  const child = spawn(command, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) {
    // A spawn error (ENOENT) comes as an event; without a listener it would throw from the loop.
    child.once('error', () => undefined);
    throw new Error(`${name}: could not start ${command} (not found or not executable)`);
  }
  const lines: string[] = [];
  const watchers = new Set<(line: string) => void>();
  let exitCode: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal ?? 'unknown';
      running.delete(handle);
      resolve(exitCode);
    });
  });
  // A spawn error (ENOENT) also ends the child; it is reported through the exit code.
  child.once('error', (error) => lines.push(`spawn error: ${error.message}`));
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        for (const watch of watchers) watch(line);
      }
    });
  }
  const pid = child.pid;
  const handle: Child = {
    get exitCode() {
      return exitCode;
    },
    name,
    process: child,
    pid,
    lines,
    exited,
    waitForLine(pattern, ms) {
      const found = lines.map((line) => pattern.exec(line)).find((match) => match !== null);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const done = (error?: Error, match?: RegExpExecArray): void => {
          clearTimeout(timer);
          watchers.delete(watch);
          if (match) resolve(match);
          else reject(error);
        };
        const watch = (line: string): void => {
          const match = pattern.exec(line);
          if (match) done(undefined, match);
        };
        const timer = setTimeout(
          () => done(new Error(`${name} (pid ${pid}): no line ${pattern} within ${ms} ms:\n${lines.join('\n')}`)),
          ms,
        );
        watchers.add(watch);
        void exited.then((code) =>
          done(new Error(`${name} (pid ${pid}) exited (${code}) before printing ${pattern}:\n${lines.join('\n')}`)),
        );
      });
    },
    async stop(signal = 'SIGTERM', killAfterMs = 10_000) {
      if (exitCode !== undefined) return exitCode;
      process.kill(pid, signal);
      const timer = setTimeout(() => {
        if (exitCode === undefined) process.kill(pid, 'SIGKILL');
      }, killAfterMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  running.add(handle);
  return handle;
}

/** Whether the process `pid` is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` right now (a 1 s bound on the attempt). */
export function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether `port` on 127.0.0.1 can be bound now (false: another process holds it). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Tries to connect every 50 ms until it works (true), the child exits or `ms` passes (false). */
export async function waitForListen(port: number, child: Child | undefined, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until && child?.exitCode === undefined) {
    if (await accepts(port)) return true;
    await sleep(50);
  }
  return false;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Free TCP ports on 127.0.0.1, held together so two calls in a row give distinct ports. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
