// The last line is never lost: the final "shutdown complete" summary reaches the log under PM2
// (cluster mode, where stdout is PM2's asynchronous file stream: before the stdio flush 0 of 6
// shutdowns had it), with a pipe for stdout, and with a logger that writes asynchronously.
// The real pm2 package, with a PM2_HOME of its own, killed at the end.
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sleep } from '@lastcall/test-kit';
import { build } from 'esbuild';

const root = path.resolve(__dirname, '../../..');
const pm2Bin = path.join(root, 'node_modules', 'pm2', 'bin', 'pm2');
const fixture = path.join(__dirname, 'fixtures', 'last-line.ts');
const LOGGERS = ['console', 'async'] as const;
/** Shutdowns per logger under PM2. */
const SHUTDOWNS = 3;
const PM2_COMMAND_MS = 60_000;
/** How long the log may take to show a line, in milliseconds (it is a file: read again every 100 ms). */
const LOG_BOUND_MS = 20_000;
const FINAL = /shutdown complete in \d+ ms: exit code 0/;

let tmp = '';
let pm2Env: NodeJS.ProcessEnv = {};
let script = '';

function pm2(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [pm2Bin, ...args],
      { env: pm2Env, timeout: PM2_COMMAND_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`pm2 ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function waitFor(file: string, pattern: RegExp, what: string): Promise<void> {
  for (let i = 0; i < LOG_BOUND_MS / 100; i++) {
    if (pattern.test(read(file))) return;
    await sleep(100);
  }
  throw new Error(`${what}: not in ${file} after ${LOG_BOUND_MS} ms:\n${read(file)}`);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lastcall-last-line-'));
  pm2Env = { ...process.env, PM2_HOME: path.join(tmp, 'home') };
  script = path.join(tmp, 'last-line.cjs');
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
}, 60_000);

afterAll(async () => {
  if (!tmp) return;
  // Our own daemon only (our PM2_HOME): kill it, then remove the folder.
  await pm2(['kill']).catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

test.each(LOGGERS)(
  `under PM2 (cluster mode), ${SHUTDOWNS} shutdowns: the final line is in the log (%s logger)`,
  async (logger) => {
    const out = path.join(tmp, `${logger}-out.log`);
    const ecosystem = path.join(tmp, `${logger}.config.cjs`);
    const app = {
      name: `last-line-${logger}`,
      script,
      exec_mode: 'cluster',
      instances: 1,
      merge_logs: true,
      kill_timeout: 10_000,
      autorestart: false,
      out_file: out,
      error_file: path.join(tmp, `${logger}-err.log`),
      env: { LOGGER: logger },
    };
    fs.writeFileSync(ecosystem, `module.exports = { apps: [${JSON.stringify(app)}] };\n`);
    const finals: boolean[] = [];
    for (let run = 1; run <= SHUTDOWNS; run++) {
      fs.rmSync(out, { force: true });
      await pm2(['start', ecosystem]);
      await waitFor(out, /READY/, 'READY');
      await pm2(['stop', app.name]); // SIGINT, as PM2 stops a process
      await waitFor(out, /onShutdown done/, 'the line before the final one');
      // The final line comes right after, or never: give the file a moment, bounded, then look.
      for (let i = 0; i < 20 && !FINAL.test(read(out)); i++) await sleep(100);
      const lines = read(out).trim().split('\n');
      finals.push(FINAL.test(lines[lines.length - 1] ?? ''));
      await pm2(['delete', app.name]);
    }
    console.log(
      `PM2 cluster mode, ${logger} logger: final line last in the log in ${finals.filter(Boolean).length} of ${SHUTDOWNS}`,
    );
    expect(finals).toEqual(Array.from({ length: SHUTDOWNS }, () => true));
  },
  120_000,
);

test.each(LOGGERS)(
  'with stdout a pipe: the final line is the last one read (%s logger)',
  async (logger) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, LOGGER: logger },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (chunk.includes('READY')) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    // 'exit' can come before the pipe's last bytes: wait for the stream's own end.
    if (!child.stdout.readableEnded) await new Promise((resolve) => child.stdout.once('end', resolve));
    const lines = output.trim().split('\n');
    expect(code).toBe(0);
    expect(lines[lines.length - 1]).toMatch(FINAL);
  },
  60_000,
);
