// PM2 end to end: the real pm2 package runs 2 instances of a lastcall service in cluster mode with its
// own PM2_HOME; keep-alive load from this process across three `pm2 reload`s must see 0 failed requests.
// PM2_E2E_BREAK=ready (ready sent before warm-up) or =drain (Node's close instead of lastcall) must make it fail.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { sleep } from '@lastcall/test-kit';
import { build } from 'esbuild';
import { explain, isLateReuse, readTrace, startLoad } from './pm2-load';

const root = path.resolve(__dirname, '../../..');
const pm2Bin = path.join(root, 'node_modules', 'pm2', 'bin', 'pm2');
const fixture = path.join(__dirname, 'fixtures', 'pm2-service.ts');
const breakMode = process.env.PM2_E2E_BREAK;
/** The service's warm-up before it listens, in ms; PM2_E2E_WARMUP_MS overrides it (the ready proof needs one longer than a start). */
const warmupMs = Number(process.env.PM2_E2E_WARMUP_MS ?? 500);
/** The service's idle grace, in ms (PM2_E2E_IDLE_GRACE_MS overrides it). */
const idleGraceMs = Number(process.env.PM2_E2E_IDLE_GRACE_MS ?? 1000);
const CLIENTS = 16;
/** Each client's pause between two requests, in ms: steady keep-alive traffic that leaves the shared CPU to PM2's starts. */
const THINK_MS = 25;
const RELOADS = 3;
/** Bounds on the load: requests per client, and each request's own time. */
const MAX_REQUESTS_PER_CLIENT = 50_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Every pm2 command's bound: a reload waits for a new worker's start and an old one's drain. */
const PM2_COMMAND_MS = 60_000;

let tmp: string | undefined;
let pm2Env: NodeJS.ProcessEnv = {};
const seenPids = new Set<number>();
const home = path.join(os.homedir(), '.pm2');
const homeBefore = fs.existsSync(home) ? fs.statSync(home).mtimeMs : undefined;

function pm2(args: string[], timeoutMs = PM2_COMMAND_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [pm2Bin, ...args],
      { env: pm2Env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`pm2 ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** The pids of the app's workers, as PM2 lists them. */
async function workerPids(): Promise<number[]> {
  const list = JSON.parse(await pm2(['jlist'])) as Array<{ pid: number; pm2_env: { status: string } }>;
  const pids = list.filter((proc) => proc.pm2_env.status === 'online').map((proc) => proc.pid);
  for (const pid of pids) seenPids.add(pid);
  return pids.sort();
}

function daemonPid(): number | undefined {
  if (!tmp) return undefined;
  try {
    return Number(fs.readFileSync(path.join(tmp, 'home', 'pm2.pid'), 'utf8'));
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves once none of the pids is alive; these are not our children, so there is no event to wait on. */
async function allGone(pids: number[], timeoutMs: number): Promise<number[]> {
  for (let i = 0; i < timeoutMs / 50; i++) {
    if (!pids.some(alive)) return [];
    await sleep(50);
  }
  return pids.filter(alive);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = http.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

afterAll(async () => {
  if (!tmp) return;
  const daemon = daemonPid();
  await pm2(['kill'], 20_000).catch(() => undefined);
  // Whatever pm2 kill left behind is stopped by its own pid.
  for (const pid of [...seenPids, ...(daemon ? [daemon] : [])]) {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (process.env.PM2_E2E_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
  else console.log(`kept ${tmp}`);
}, 30_000);

test('pm2 reload x3 of 2 cluster instances under keep-alive load: 0 failed requests', async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lastcall-pm2-'));
  // HOME too: nothing of PM2's may land in the user's ~/.pm2.
  pm2Env = { ...process.env, PM2_HOME: path.join(tmp, 'home'), HOME: tmp };
  const port = await freePort();
  // One bundled file against src/: PM2 refuses .ts scripts on Node < 22.18, and a worker that
  // compiles TypeScript at every start makes each reload seconds slower on a busy machine.
  const script = path.join(tmp, 'service.cjs');
  await build({
    entryPoints: [fixture],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: script,
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'error',
  });
  const ecosystem = path.join(tmp, 'ecosystem.config.cjs');
  // docs/pm2.md's ecosystem, with the test's port, logs and switches.
  const app = {
    name: 'svc',
    script,
    cwd: root,
    exec_mode: 'cluster',
    instances: 2,
    wait_ready: true,
    listen_timeout: 30_000,
    kill_timeout: 30_000,
    out_file: path.join(tmp, 'out.log'),
    error_file: path.join(tmp, 'err.log'),
    env: {
      PORT: String(port),
      WARMUP_MS: String(warmupMs),
      IDLE_GRACE_MS: String(idleGraceMs),
      PM2_TRACE_FILE: path.join(tmp, 'trace.jsonl'),
      FIXTURE_READY: breakMode === 'ready' ? 'early' : 'handshake',
      FIXTURE_DRAIN: breakMode === 'drain' ? 'off' : 'lastcall',
    },
  };
  fs.writeFileSync(ecosystem, `module.exports = ${JSON.stringify({ apps: [app] }, null, 2)};\n`);

  const started = Date.now();
  await pm2(['start', ecosystem]);
  const first = await workerPids();
  expect(first).toHaveLength(2);
  // Load only once both first workers listen: with the handshake switched off, `pm2 start`
  // returns before the warm-up ends, and a refused start is not what this test is about.
  await listening(first, PM2_COMMAND_MS);

  const trace = path.join(tmp, 'trace.jsonl');
  const load = startLoad(port, {
    clients: CLIENTS,
    thinkMs: THINK_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    maxRequestsPerClient: MAX_REQUESTS_PER_CLIENT,
    freeSocketTimeoutMs: Math.floor(idleGraceMs / 2),
  });
  const reloadMs: number[] = [];
  const oldPids: number[] = [];
  let lastPids = first;
  try {
    await load.moreOk(200, 20_000);
    for (let i = 0; i < RELOADS; i++) {
      const t0 = Date.now();
      await pm2(['reload', 'svc']);
      reloadMs.push(Date.now() - t0);
      const after = await workerPids();
      expect(after).toHaveLength(2);
      expect(after.filter((pid) => lastPids.includes(pid))).toEqual([]);
      // PM2's reload returns once the old worker is dead: none is left behind.
      expect(lastPids.filter(alive)).toEqual([]);
      oldPids.push(...lastPids);
      lastPids = after;
      await load.moreOk(200, 20_000);
    }
  } finally {
    await load.stop();
    // Printed whatever happened, so a switched-off run shows what broke.
    const lines = readTrace(trace);
    const late = load.retried.filter((reset) => isLateReuse(reset, lines, idleGraceMs));
    const hidden = load.retried.filter((reset) => !late.includes(reset));
    const codes = new Map<string, number>();
    for (const failure of [...load.failures, ...hidden]) codes.set(failure.code, (codes.get(failure.code) ?? 0) + 1);
    const summary = `PM2 ${RELOADS} reloads x 2 instances (break=${breakMode ?? 'none'}, warm-up ${warmupMs} ms, idle grace ${idleGraceMs} ms): ok=${load.ok()} failed=${load.failures.length + hidden.length} ${JSON.stringify(Object.fromEntries(codes))} retried=${late.length} (late reuse of an idle connection, never reached the handler); reloads ${reloadMs.join('/')} ms; total ${Date.now() - started} ms`;
    const detail = [
      ...[...load.failures, ...hidden].map((f) => `failed: ${explain(f, lines)}`),
      ...late.map((f) => `retried: ${explain(f, lines)}`),
    ];
    console.log([summary, ...atMost(detail)].join('\n'));
    fs.appendFileSync(path.join(os.tmpdir(), 'lastcall-pm2-e2e.log'), `${new Date().toISOString()} ${summary}\n`);
  }

  // Every old worker exited by its own drain with code 0: its own exit trace, and PM2's view
  // of it (no SIGKILL after kill_timeout, an exit code for each).
  const exits = new Map(
    readTrace(trace)
      .filter((line) => line.event === 'exit')
      .map((line) => [line.pid, line.code]),
  );
  expect(oldPids).toHaveLength(RELOADS * 2);
  expect(oldPids.map((pid) => [pid, exits.get(pid)])).toEqual(oldPids.map((pid) => [pid, 0]));
  const pm2Log = fs.readFileSync(path.join(tmp, 'home', 'pm2.log'), 'utf8');
  const pm2Exits = [...pm2Log.matchAll(/App \[svc:_old_\d+\] exited with code \[(\w+)\]/g)].map((m) => m[1]);
  expect(pm2Exits).toEqual(oldPids.map(() => '0'));
  expect(pm2Log).not.toContain('SIGKILL');

  const daemon = daemonPid();
  await pm2(['kill'], 20_000);
  expect(await allGone([...seenPids, ...(daemon ? [daemon] : [])], 10_000)).toEqual([]);
  // PM2_HOME held: ~/.pm2 is as it was.
  expect(fs.existsSync(home) ? fs.statSync(home).mtimeMs : undefined).toBe(homeBefore);

  const lines = readTrace(trace);
  // A retried reset is allowed only as the keep-alive race: the request never reached the
  // handler and was sent on a connection idle for longer than the grace. Any other is a failure.
  const hidden = load.retried.filter((reset) => !isLateReuse(reset, lines, idleGraceMs));
  expect({ count: hidden.length, first: atMost(hidden.map((f) => explain(f, lines))) }).toEqual({
    count: 0,
    first: [],
  });
  expect({ count: load.failures.length, first: atMost(load.failures.map((f) => explain(f, lines))) }).toEqual({
    count: 0,
    first: [],
  });
}, 150_000);

/** The first lines of a list that can run to thousands (a switched-off run's refused requests), and how many more. */
function atMost(lines: readonly string[], count = 20): string[] {
  return lines.length <= count ? [...lines] : [...lines.slice(0, count), `... and ${lines.length - count} more`];
}

/** Resolves once every pid logged READY (it listens); the logs are files, so they are read again every 100 ms, bounded. */
async function listening(pids: number[], timeoutMs: number): Promise<void> {
  const dir = tmp ?? '';
  for (let i = 0; i < timeoutMs / 100; i++) {
    const text = fs
      .readdirSync(dir)
      .filter((name) => name.startsWith('out'))
      .map((name) => fs.readFileSync(path.join(dir, name), 'utf8'))
      .join('');
    if (pids.every((pid) => text.includes(`READY pid=${pid} `))) return;
    await sleep(100);
  }
  throw new Error(`workers ${pids.join(', ')} did not listen within ${timeoutMs} ms`);
}
