// lastcall-verify's faults: each a clear message and a distinct exit code, never a hang; and on
// Ctrl-C in the middle of a rolling run, everything it started is stopped (nothing left listening,
// no pid alive).
import * as net from 'node:net';
import * as path from 'node:path';
import { describeWith } from '@lastcall/e2e';
import { accepts, alive, sleep } from '../src/harness';
import { FIXTURES, startCli } from './run-cli';

const node = (file: string): string[] => ['--', process.execPath, path.join(FIXTURES, file)];

test('bad options: exit 2, naming the option and the value', async () => {
  const run = await startCli(['--grace', '30', ...node('node-close.cjs')], 20_000);
  expect(run.stderr).toContain('--grace must be a duration with a unit (500ms, 30s, 2m), received "30"');
  expect(run.code).toBe(2);
  const none = await startCli(['--runs', '1'], 20_000);
  expect(none.stderr).toContain('no command');
  expect(none.code).toBe(2);
}, 30_000);

test('a command that never listens: exit 3 within the bound, and the process is stopped', async () => {
  const started = performance.now();
  const run = await startCli(['--start-timeout', '1500ms', ...node('never-listens.cjs')], 20_000);
  expect(performance.now() - started).toBeLessThan(15_000);
  expect(run.stderr).toMatch(/did not listen on 127\.0\.0\.1:\d+ within 1500 ms: does it read the port from PORT/);
  expect(run.code).toBe(3);
  const pid = Number(/\(pid (\d+)\)/.exec(run.stderr)?.[1]);
  expect(pid).toBeGreaterThan(0);
  expect(alive(pid)).toBe(false);
}, 30_000);

test('a port already in use: exit 4', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as net.AddressInfo).port;
  try {
    const run = await startCli(['--port', String(port), ...node('node-close.cjs')], 20_000);
    expect(run.stderr).toContain(`port ${port} on 127.0.0.1 is already in use by another process`);
    expect(run.code).toBe(4);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
}, 30_000);

test('a readiness path that never answers 200: exit 5', async () => {
  const run = await startCli(
    ['--readiness', '/readyz', '--start-timeout', '1500ms', ...node('no-readiness.cjs')],
    20_000,
  );
  expect(run.stderr).toContain('GET /readyz did not answer 200 within 1500 ms');
  expect(run.code).toBe(5);
}, 30_000);

test('a service that crashes under load: exit 6', async () => {
  const run = await startCli(['--steady', '3s', ...node('crash.cjs')], 20_000);
  expect(run.stderr).toMatch(/exited \(1\) during the steady load, before it was signalled: it crashed under load/);
  expect(run.stderr).toContain('crash under load');
  expect(run.code).toBe(6);
}, 30_000);

test('a balancer or pm2 binary that is missing: exit 7', async () => {
  const run = await startCli(
    ['--mode', 'rolling', '--balancer-bin', '/nonexistent/haproxy', ...node('node-close.cjs')],
    20_000,
  );
  expect(run.stderr).toContain('/nonexistent/haproxy is not installed (no executable file there)');
  expect(run.code).toBe(7);
  const pm2 = await startCli(['--mode', 'pm2', '--ecosystem', 'x.config.js', '--pm2', '/nonexistent/pm2'], 20_000);
  expect(pm2.stderr).toContain('/nonexistent/pm2 is not installed');
  expect(pm2.code).toBe(7);
}, 30_000);

describeWith('haproxy')('Ctrl-C', () => {
  test('in the middle of a rolling run: exit 130, HAProxy and every instance stopped, nothing left listening', async () => {
    let interrupted = false;
    const run = await startCli(
      ['--mode', 'rolling', '--steady', '20s', ...node('node-close.cjs')],
      30_000,
      (text, child) => {
        if (!interrupted && text.includes('in front of')) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    );
    expect(interrupted).toBe(true);
    expect(run.code).toBe(130);
    const line = /haproxy \(pid (\d+)\) on 127\.0\.0\.1:(\d+) in front of (.*)/.exec(run.stderr);
    expect(line).not.toBeNull();
    const pids = [Number(line?.[1]), ...[...(line?.[3] ?? '').matchAll(/pid (\d+)/g)].map((m) => Number(m[1]))];
    const ports = [Number(line?.[2]), ...[...(line?.[3] ?? '').matchAll(/on :(\d+)/g)].map((m) => Number(m[1]))];
    expect(pids).toHaveLength(3);
    expect(ports).toHaveLength(3);
    await sleep(100);
    expect(pids.filter(alive)).toEqual([]);
    for (const port of ports) expect(await accepts(port)).toBe(false);
  }, 40_000);
});
