// Runs test/fixtures/service.ts in a real child process (through tsx, against src/) and
// talks to it: its ports, its stdout lines, real signals, its exit code. Every wait is bounded.
import { type ChildProcess, spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../../..');
const fixture = path.join(__dirname, '..', 'fixtures', 'service.ts');
const children = new Set<ChildProcess>();

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Service {
  readonly child: ChildProcess;
  readonly ports: number[];
  /** Everything the child printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves when the output contains `text`; rejects after `timeoutMs`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit; rejects after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<Exit>;
  signal(name: NodeJS.Signals): void;
  /** The ORDER lines, in order, without the prefix. */
  order(): string[];
}

/** Starts the fixture with a scenario; resolves once it printed READY with its ports. */
export async function startService(scenario: string, env: Record<string, string> = {}): Promise<Service> {
  // TSX_TSCONFIG_PATH: the root tsconfig maps @lastcall/* to src, so no build is needed.
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, scenario], {
    cwd: root,
    env: { ...process.env, ...env, TSX_TSCONFIG_PATH: path.join(root, 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  // stdout and stderr together, in arrival order: the console logger prints warnings on stderr.
  let output = '';
  const onData = (chunk: string): void => {
    output += chunk;
  };
  child.stdout?.setEncoding('utf8').on('data', onData);
  child.stderr?.setEncoding('utf8').on('data', onData);
  const exit = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const waitFor = (text: string, timeoutMs = 10_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${text}" within ${timeoutMs} ms; output:\n${output}`)),
        timeoutMs,
      );
      const check = (): void => {
        if (!output.includes(text)) return;
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
        resolve();
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      void exit.then(() => setImmediate(check));
      check();
    });

  await waitFor('READY', 20_000);
  const ready = output.split('\n').find((line) => line.startsWith('READY ')) ?? '';
  const ports = ready.split(' ').slice(1).map(Number);
  return {
    child,
    ports,
    output: () => output,
    waitFor,
    exited: (timeoutMs = 10_000) =>
      new Promise<Exit>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no exit within ${timeoutMs} ms; output:\n${output}`)),
          timeoutMs,
        );
        void exit.then((result) => {
          clearTimeout(timer);
          resolve(result);
        });
      }),
    signal: (name) => {
      child.kill(name);
    },
    order: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('ORDER '))
        .map((line) => line.slice('ORDER '.length)),
  };
}

/** Kills, by its own pid, every child still alive. For `afterEach`. */
export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone between the check and the kill.
      }
    }
    children.delete(child);
  }
}

export interface Reply {
  status: number;
  body: string;
}

/** One GET on its own connection; resolves with the reply, or rejects with the client's error code. */
export function get(port: number, pathname: string, timeoutMs = 15_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
  });
}
