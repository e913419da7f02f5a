// @lastcall/lifecycle in a child process of this same runtime: a real SIGTERM drains the
// server, runs the tasks and exits 0; a second SIGTERM forces and exits 1.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import { fileURLToPath } from 'node:url';
import { check, runtime } from './lib/harness.mjs';
import { sleep, within } from './lib/net.mjs';

const service = fileURLToPath(new URL('fixtures/service.mjs', import.meta.url));

/** The service under this runtime: Deno needs its `run` and permissions; Node and Bun take the file. */
function start(defer) {
  const args = runtime === 'deno' ? ['run', '-A', '--no-check', '--no-lock', service] : [service];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  defer(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  const waiters = new Set();
  const onData = (chunk) => {
    out += chunk;
    for (const waiter of waiters) waiter();
  };
  child.stdout.setEncoding('utf8').on('data', onData);
  child.stderr.setEncoding('utf8').on('data', onData);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const line = (pattern, ms = 10_000) =>
    within(
      new Promise((resolve) => {
        const look = () => {
          const match = out.match(pattern);
          if (match) {
            waiters.delete(look);
            resolve(match);
          }
        };
        waiters.add(look);
        look();
      }),
      ms,
      `${pattern} from the service (it printed: ${JSON.stringify(out.slice(-500))})`,
    );
  return { child, exited, line, output: () => out };
}

/**
 * A real SIGTERM to the child. process.kill, not child.kill(): Deno's child_process reports a
 * child it was asked to kill() as killed by that signal (code null) even when the child handled
 * it and exited 0; the exit code is what this suite checks.
 */
function signal(child) {
  process.kill(child.pid, 'SIGTERM');
}

function get(port, path) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body }));
      res.on('error', (error) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error) => resolve({ error: error.code ?? error.message }));
  });
}

check(
  'lifecycle (child process)',
  'SIGTERM: the request in flight finishes, the tasks run, exit code 0',
  async (defer) => {
    const service = start(defer);
    const port = Number((await service.line(/LISTENING (\d+)/))[1]);
    const response = get(port, '/?ms=400');
    await service.line(/REQUEST \/\?ms=400/);
    signal(service.child);
    assert.deepEqual(await within(response, 8_000, 'the response'), {
      status: 200,
      connection: 'close',
      body: 'done after 400 ms',
    });
    assert.deepEqual(await within(service.exited, 8_000, 'the service to exit'), { code: 0, signal: null });
    assert.match(service.output(), /TASK cleanup/);
    assert.match(service.output(), /shutdown complete .*exit code 0/);
  },
);

check('lifecycle (child process)', 'a second SIGTERM forces the shutdown: exit code 1 at once', async (defer) => {
  const service = start(defer);
  const port = Number((await service.line(/LISTENING (\d+)/))[1]);
  const response = get(port, '/?ms=8000');
  await service.line(/REQUEST \/\?ms=8000/);
  signal(service.child);
  await sleep(300);
  const second = Date.now();
  signal(service.child);
  assert.deepEqual(await within(service.exited, 5_000, 'the service to exit'), { code: 1, signal: null });
  const elapsed = Date.now() - second;
  assert.ok(elapsed < 2_000, `the forced exit took ${elapsed} ms`);
  assert.ok('error' in (await within(response, 5_000, 'the cut response')), 'the hanging request was answered');
});
