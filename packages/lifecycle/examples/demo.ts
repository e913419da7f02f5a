// The lastcall demo: a real HTTP server in a child process, 32 keep-alive clients loading it,
// a real SIGTERM in the middle, then the child's progress lines, its report, and the count of
// requests ok / refused / failed. Run with `pnpm demo` (or `node --import tsx examples/demo.ts`).
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';

const CLIENTS = 32;
const LOAD_BEFORE_SIGTERM_MS = 1_500;
const BOUND_MS = 30_000;

// argv[1], not import.meta: the workspace type-check reads examples as CommonJS.
const here = path.dirname(path.resolve(process.argv[1] ?? 'examples/demo.ts'));
const root = path.resolve(here, '../../..');

interface Counts {
  ok: number;
  refused: number;
  failed: number;
  errors: Map<string, number>;
}

function request(port: number, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
  });
}

/** One keep-alive client: requests back to back on its connection until it is refused or told to stop. */
async function client(port: number, counts: Counts, stopped: () => boolean): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    while (!stopped()) {
      try {
        const status = await request(port, agent);
        if (status === 200) counts.ok++;
        else {
          counts.failed++;
          counts.errors.set(`status ${status}`, (counts.errors.get(`status ${status}`) ?? 0) + 1);
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        if (code === 'ECONNREFUSED') {
          // The listener is closed: the server is going away. A real client would try another instance.
          counts.refused++;
          return;
        }
        counts.failed++;
        counts.errors.set(code, (counts.errors.get(code) ?? 0) + 1);
      }
    }
  } finally {
    agent.destroy();
  }
}

async function main(): Promise<void> {
  // TSX_TSCONFIG_PATH: the root tsconfig maps @lastcall/* to the packages' src, so no build is needed.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'demo-server.ts')], {
    cwd: root,
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const bound = setTimeout(() => {
    console.error(`demo: no end within ${BOUND_MS} ms, killing the child`);
    child.kill('SIGKILL');
    process.exit(2);
  }, BOUND_MS);
  const lines: string[] = [];
  let port = 0;
  const started = new Promise<void>((resolve, reject) => {
    const onLine = (chunk: string): void => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lines.push(line);
        const match = /^READY (\d+)/.exec(line);
        if (match) {
          port = Number(match[1]);
          resolve();
        }
      }
    };
    child.stdout.setEncoding('utf8').on('data', onLine);
    child.stderr.setEncoding('utf8').on('data', onLine);
    child.once('exit', (code) => reject(new Error(`the server exited early with code ${code}:\n${lines.join('\n')}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await started;
  console.log(`demo: server pid ${child.pid} on 127.0.0.1:${port}; ${CLIENTS} keep-alive clients loading it`);

  const counts: Counts = { ok: 0, refused: 0, failed: 0, errors: new Map() };
  let childGone = false;
  void exited.then(() => {
    childGone = true;
  });
  const load = Promise.all(Array.from({ length: CLIENTS }, () => client(port, counts, () => childGone)));

  await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_SIGTERM_MS));
  const okBefore = counts.ok;
  console.log(`demo: ${okBefore} requests answered so far; sending SIGTERM to pid ${child.pid}\n`);
  const signalledAt = performance.now();
  child.kill('SIGTERM');
  const code = await exited;
  const exitMs = performance.now() - signalledAt;
  await load;
  clearTimeout(bound);

  console.log('--- the server process printed ---');
  for (const line of lines) console.log(`  | ${line}`);
  console.log('---');
  console.log(`demo: the server exited with code ${code}, ${Math.round(exitMs)} ms after SIGTERM`);
  console.log(
    `demo: requests ok ${counts.ok} (${counts.ok - okBefore} after SIGTERM), refused ${counts.refused}, failed ${counts.failed}`,
  );
  if (counts.failed > 0) console.log(`demo: failures by cause: ${JSON.stringify(Object.fromEntries(counts.errors))}`);
  process.exitCode = counts.failed === 0 && code === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
