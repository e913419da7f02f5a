// The keep-alive-load scenario per runtime: the server runs under Node 20, 22, 24, Deno 2 or Bun 1
// (conformance/bench/server.mjs); the load comes from this process (Node), the same for every
// runtime. 32 keep-alive clients send requests back to back; 500 ms in (once every client has
// been answered once), the server is told to stop, by lastcall's terminate() or by the runtime's own server.close(). A client stops at its
// first refused connection or after 3 s; every other error is a dropped request. Prints a
// markdown table (medians of the runs, and the worst run).
//   node scripts/runtime-bench.mjs [--runs 3] [--only node20,bun]
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const server = path.join(root, 'conformance', 'bench', 'server.mjs');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const runs = Number(option('--runs', '3'));
const only = option('--only', undefined)?.split(',');
const CLIENTS = 32;
const STOP_AT = 500;
const LOAD_LIMIT = 3_000;

const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const RUNTIMES = [
  { id: 'node20', label: 'Node 20', command: process.execPath, prefix: [] },
  { id: 'node22', label: 'Node 22', command: 'npx', prefix: ['-y', 'node@22'] },
  { id: 'node24', label: 'Node 24', command: 'npx', prefix: ['-y', 'node@24'] },
  { id: 'deno', label: 'Deno 2', command: bin('deno'), prefix: ['run', '-A', '--no-check', '--no-lock'] },
  { id: 'bun', label: 'Bun 1', command: bin('bun'), prefix: [] },
].filter((runtime) => only === undefined || only.includes(runtime.id));

function bounded(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function once(runtime, stopper) {
  const child = spawn(runtime.command, [...runtime.prefix, server, stopper], { cwd: path.dirname(server) });
  let out = '';
  const lines = [];
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    out += chunk;
    lines.push(...chunk.split('\n'));
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    out += chunk;
  });
  const line = (prefix) =>
    bounded(
      new Promise((resolve) => {
        const look = () => {
          const found = out.split('\n').find((l) => l.startsWith(prefix));
          if (found) resolve(found.slice(prefix.length));
          else setTimeout(look, 5);
        };
        look();
      }),
      // npx may fetch the Node version first.
      60_000,
      `${prefix} from ${runtime.label} (${out.slice(-300)})`,
    );
  try {
    const port = Number(await line('PORT '));
    let ok = 0;
    const dropped = [];
    let stopped = false;
    const answered = new Set();
    const deadline = Date.now() + LOAD_LIMIT;
    const client = async (_, index) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (Date.now() < deadline) {
          const outcome = await bounded(
            new Promise((resolve) => {
              const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
                res.resume();
                res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `status ${res.statusCode}`));
                res.on('error', (error) => resolve(error.code ?? error.message));
              });
              // A failure says whether it went out on a kept-alive socket or a new one.
              req.on('error', (error) =>
                resolve(`${error.code ?? error.message}${req.reusedSocket ? ' (reused socket)' : ' (new socket)'}`),
              );
            }),
            5_000,
            'a request',
          ).catch(() => 'timeout');
          if (outcome === 'ok') {
            ok++;
            answered.add(index);
          } else if (outcome.startsWith('ECONNREFUSED') && stopped) return;
          else dropped.push(outcome);
        }
      } finally {
        agent.destroy();
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    await new Promise((resolve) => setTimeout(resolve, STOP_AT));
    // Every client connected and answered once: a connection still in the kernel's accept queue
    // when a listener closes is reset by the kernel, whoever closes it (a starved machine).
    for (let waited = 0; answered.size < CLIENTS && waited < 5_000; waited += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    stopped = true;
    child.stdin.write('stop\n');
    await Promise.all(clients);
    const summary = JSON.parse(await line('STOPPED ').catch(() => '{"stopTime":null}'));
    return { ok, dropped: dropped.length, errors: [...new Set(dropped)], ...summary };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `keep-alive load: ${CLIENTS} clients (Node's http.Agent, in the bench process), stop at ${STOP_AT} ms, ${runs} runs each`,
);
console.log('\n| runtime | stopped by | dropped requests (each run) | answered (median) | stop time, ms (median) |');
console.log('| --- | --- | --- | --- | --- |');
for (const runtime of RUNTIMES) {
  const version = await new Promise((resolve) => {
    // Deno's prefix is `run ...`, which takes no --version; npx's is `-y node@N`, which does.
    const versionArgs = runtime.id === 'deno' ? ['--version'] : [...runtime.prefix, '--version'];
    const c = spawn(runtime.command, versionArgs);
    let text = '';
    c.stdout.on('data', (d) => {
      text += d;
    });
    c.on('close', () => resolve(text.trim().split('\n')[0]));
  });
  for (const stopper of ['lastcall', 'close']) {
    const results = [];
    for (let i = 0; i < runs; i++) results.push(await once(runtime, stopper));
    const errors = [...new Set(results.flatMap((r) => r.errors))];
    console.log(
      `| ${runtime.label} (${version}) | ${stopper === 'lastcall' ? 'lastcall `terminate()`' : 'its own `server.close()`'} | ${results.map((r) => r.dropped).join(', ')}${errors.length ? ` (${errors.join(', ')})` : ''} | ${median(results.map((r) => r.ok))} | ${median(results.map((r) => r.stopTime ?? Number.NaN))} |`,
    );
  }
}
