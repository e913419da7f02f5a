// Child processes of a run (balancers, backends): started with their output kept, each awaited
// for a line with a time bound, and stopped by its own pid, never by name.
import { type ChildProcess, spawn } from 'node:child_process';

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
}

export function startChild(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Child {
  const child = spawn(command, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const lines: string[] = [];
  const watchers = new Set<(line: string) => void>();
  let exitCode: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal ?? 'unknown';
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
  return {
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
}

/** Free TCP ports on 127.0.0.1, held together so two calls in a row give distinct ports. */
export async function freePorts(count: number): Promise<number[]> {
  const net = await import('node:net');
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
