// PostgreSQL and Redis from Debian's packages (`apt-get install postgresql redis-server`), each
// started in the foreground on 127.0.0.1 with a data directory in the temp dir, stopped by its pid.
// No system service is used. Shared by `pnpm dev` (scripts/with-deps.ts) and the end-to-end test.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** One database or cache server this module started. */
export interface Dependency {
  /** The connection URL (`postgres://…` or `redis://…`). */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM to its pid (PostgreSQL: smart shutdown; Redis: save nothing, exit), then remove the data dir. */
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT = 30_000;
const STOP_TIMEOUT = 10_000;

/** A free TCP port on 127.0.0.1, as the kernel hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Debian installs PostgreSQL's server binaries outside PATH (/usr/lib/postgresql/<major>/bin):
 * take the newest major there, else whatever `initdb` PATH has.
 */
function postgresBin(name: 'initdb' | 'postgres'): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((entry) => /^\d+$/.test(entry))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const candidate = path.join(root, major, 'bin', name);
      if (existsSync(candidate)) return candidate;
    }
  }
  return name;
}

/**
 * PostgreSQL refuses to run as root. CI runs as root: then initdb and postgres run as the
 * `postgres` user that Debian's package creates, on a data directory that user owns.
 */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Waits for `pattern` in the child's output; rejects when it exits first or the timeout passes. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => finish(new Error(`${what} did not start in ${STARTUP_TIMEOUT} ms:\n${seen}`)),
      STARTUP_TIMEOUT,
    );
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (pattern.test(seen)) finish();
    };
    const onExit = (code: number | null, signal: string | null): void =>
      finish(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${seen}`));
    function finish(error?: Error): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** SIGTERM to the pid, then SIGKILL if it is still there after the timeout. */
function stopChild(child: ChildProcess, dir: string): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), STOP_TIMEOUT);
    child.once('exit', done);
    if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  });
}

/** Starts a PostgreSQL server of its own: user `postgres`, trust auth on 127.0.0.1, database `postgres`. */
export async function startPostgres(): Promise<Dependency> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lastcall-pg-'));
  const user = postgresUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const as = user ?? {};
  // --no-sync: a throwaway cluster; nothing here needs to survive a crash of the machine.
  execFileSync(postgresBin('initdb'), ['-D', dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    ...as,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await freePort();
  const child = spawn(
    postgresBin('postgres'),
    // No unix socket (its default directory belongs to the system service); TCP on loopback only.
    [
      '-D',
      dir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
    ],
    // detached: its own process group, so a Ctrl-C meant for the service does not stop it first.
    { ...as, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  try {
    await waitForLine(child, /database system is ready to accept connections/, 'postgres');
  } catch (error) {
    await stopChild(child, dir);
    throw error;
  }
  // Past start-up its log is not read: keep the pipes flowing so a full pipe never blocks it.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    pid: child.pid as number,
    stop: () => stopChild(child, dir),
  };
}

/** Starts a Redis server of its own on 127.0.0.1, persisting nothing. */
export async function startRedis(): Promise<Dependency> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lastcall-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  try {
    await waitForLine(child, /Ready to accept connections/, 'redis-server');
  } catch (error) {
    await stopChild(child, dir);
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid as number, stop: () => stopChild(child, dir) };
}
