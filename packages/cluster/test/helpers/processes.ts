// Runs the fixture primary and the load client as real processes (bundled from src/), reads their
// JSON lines, and stops every process it started by pid. Every wait is bounded.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(__dirname, '../../../..');
const fixtures = path.join(__dirname, '..', 'fixtures');
const started = new Set<number>();

export interface LogEvent {
  level: string;
  event: string;
  message: string;
  worker?: { id: number; pid: number };
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

let bundled: string | undefined;

/**
 * Bundles the fixtures (against src/, through the root tsconfig's paths) into plain JavaScript in a
 * temp folder, once per test file: a worker then starts in a few ms instead of compiling
 * TypeScript on every fork, which on a loaded machine took seconds. Call in `beforeAll`.
 */
export async function bundleFixtures(): Promise<void> {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'lastcall-cluster-'));
  await build({
    entryPoints: ['service', 'load'].map((name) => path.join(fixtures, `${name}.ts`)),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });
  bundled = outdir;
}

/** Removes the bundle's temp folder. Call in `afterAll`. */
export function removeBundle(): void {
  if (bundled !== undefined) rmSync(bundled, { recursive: true, force: true });
  bundled = undefined;
}

function spawnFixture(file: string, args: string[], env: Record<string, string>): ChildProcess {
  if (bundled === undefined) throw new Error('bundleFixtures() must run first (beforeAll)');
  const child = spawn(process.execPath, [path.join(bundled, `${file}.js`), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) started.add(child.pid);
  return child;
}

/** Waits until `test()` holds, re-checking on each stdout chunk of `child`; rejects after `ms` or at its exit. */
function until(child: ChildProcess, test: () => boolean, ms: number, what: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('exit', onExit);
    };
    const check = (): void => {
      if (!test()) return;
      done();
      resolve();
    };
    const onExit = (): void => {
      setImmediate(() => {
        if (test()) return check();
        done();
        reject(new Error(`process exited before ${what()}`));
      });
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${ms} ms waiting for ${what()}`));
    }, ms);
    child.stdout?.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

export interface Primary {
  readonly child: ChildProcess;
  readonly events: LogEvent[];
  output(): string;
  /** Resolves with the first event (after `from`) matching, or rejects after `ms`. */
  waitEvent(match: (event: LogEvent) => boolean, ms?: number, from?: number): Promise<LogEvent>;
  exited(ms?: number): Promise<Exit>;
  /** Every worker pid the primary forked. */
  workerPids(): number[];
}

export async function startPrimary(env: Record<string, string>): Promise<Primary> {
  const child = spawnFixture('service', [], env);
  let output = '';
  const events: LogEvent[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('LOG ')) events.push(JSON.parse(line.slice(4)) as LogEvent);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exit = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const primary: Primary = {
    child,
    events,
    output: () => output,
    async waitEvent(match, ms = 20_000, from = 0) {
      const find = (): LogEvent | undefined => events.slice(from).find(match);
      await until(
        child,
        () => find() !== undefined,
        ms,
        () => `a matching event; output:\n${output}`,
      );
      return find() as LogEvent;
    },
    exited: (ms = 20_000) =>
      new Promise<Exit>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms; output:\n${output}`)), ms);
        void exit.then((result) => {
          clearTimeout(timer);
          resolve(result);
        });
      }),
    workerPids: () =>
      events.filter((event) => event.event === 'fork' && event.worker).map((event) => event.worker?.pid as number),
  };
  child.stdout?.on('data', () => {
    for (const pid of primary.workerPids()) started.add(pid);
  });
  await until(
    child,
    () => output.includes('STARTED'),
    30_000,
    () => `STARTED; output:\n${output}`,
  );
  return primary;
}

export interface Counts {
  ok: number;
  failed: number;
  errors: Record<string, number>;
}

export interface Load {
  /** Stops the clients and resolves with their counts. */
  stop(ms?: number): Promise<Counts>;
}

export async function startLoad(port: number, clients = 16): Promise<Load> {
  const child = spawnFixture('load', [String(port), String(clients)], {});
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  await until(
    child,
    () => output.includes('LOADING'),
    20_000,
    () => `the load's first answer; output:\n${output}`,
  );
  return {
    async stop(ms = 20_000) {
      child.stdin?.end();
      await until(
        child,
        () => output.includes('RESULT '),
        ms,
        () => `the load's RESULT; output:\n${output}`,
      );
      const line = output.split('\n').find((text) => text.startsWith('RESULT ')) ?? '';
      return JSON.parse(line.slice('RESULT '.length)) as Counts;
    },
  };
}

/** True while a process with that pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGKILLs, by pid, every process the tests started (primaries, their workers, load clients) still alive. */
export function killAll(): void {
  for (const pid of started) {
    if (alive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone between the check and the kill.
      }
    }
    started.delete(pid);
  }
}

/** A port free on 127.0.0.1 right now (the fixture's workers listen on it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
