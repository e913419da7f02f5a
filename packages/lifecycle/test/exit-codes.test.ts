// The exit policy in real child processes with real signals: one test per way a shutdown ends.
import { get, killChildren, startService } from './helpers/child';

afterEach(killChildren);

/** 'answered', or the client's error code: a forced connection is a reset. */
const outcome = (reply: Promise<unknown>): Promise<string> =>
  reply.then(
    () => 'answered',
    (error: NodeJS.ErrnoException) => error.code ?? error.message,
  );

test('clean shutdown: the in-flight request completes, hooks run, exit code 0', async () => {
  const service = await startService('clean');
  const [port] = service.ports as [number];
  const reply = get(port, '/?ms=400');
  await service.waitFor('REQUEST /?ms=400');
  service.signal('SIGTERM');
  await expect(reply).resolves.toEqual({ status: 200, body: 'done after 400 ms' });
  expect(await service.exited()).toEqual({ code: 0, signal: null });
  const out = service.output();
  expect(out).toContain('shutdown started by SIGTERM');
  expect(out).toContain('draining 1 connection, 1 request in flight');
  expect(out).toContain('onShutdown done in');
  expect(out).toContain('FINALLY exitCode=0');
  expect(out).toContain('shutdown complete in');
  expect(service.order()).toEqual(['onShutdown:start', 'onShutdown:end']);
});

test('graceful timeout hit: the hanging request is forced, hooks still run, exit code 1', async () => {
  const service = await startService('timeout', { GRACE_MS: '300' });
  const [port] = service.ports as [number];
  const reply = outcome(get(port, '/hang'));
  await service.waitFor('REQUEST /hang');
  service.signal('SIGTERM');
  expect(await reply).toBe('ECONNRESET');
  expect(await service.exited()).toEqual({ code: 1, signal: null });
  expect(service.output()).toContain('grace ran out after');
  expect(service.output()).toContain('forcing 1 connection');
  expect(service.order()).toEqual(['onShutdown:start', 'onShutdown:end']);
});

test('a second signal forces at once: hooks skipped, finally runs, exit code 1', async () => {
  const service = await startService('second-signal', { GRACE_MS: '20000' });
  const [port] = service.ports as [number];
  const reply = outcome(get(port, '/hang'));
  await service.waitFor('REQUEST /hang');
  service.signal('SIGTERM');
  await service.waitFor('draining 1 connection');
  const forcedAt = performance.now();
  service.signal('SIGINT');
  expect(await service.exited()).toEqual({ code: 1, signal: null });
  expect(performance.now() - forcedAt).toBeLessThan(3_000);
  expect(await reply).toBe('ECONNRESET');
  expect(service.output()).toContain('second SIGINT: forcing now');
  expect(service.output()).toContain('onShutdown skipped (forced)');
  expect(service.output()).toContain('FINALLY exitCode=1');
  expect(service.order()).toEqual(['beforeShutdown:start', 'beforeShutdown:end']);
});

test('the second signal exit code is configurable', async () => {
  const service = await startService('second-signal', { GRACE_MS: '20000', FORCE_EXIT_CODE: '7' });
  const [port] = service.ports as [number];
  get(port, '/hang').catch(() => undefined);
  await service.waitFor('REQUEST /hang');
  service.signal('SIGTERM');
  await service.waitFor('draining 1 connection');
  service.signal('SIGTERM');
  expect(await service.exited()).toEqual({ code: 7, signal: null });
});

test('a hook that throws is reported, the shutdown goes on, exit code 1', async () => {
  const service = await startService('hook-throws');
  service.signal('SIGTERM');
  expect(await service.exited()).toEqual({ code: 1, signal: null });
  expect(service.output()).toContain('beforeShutdown step "readiness" failed: readiness flip failed');
  expect(service.order()).toEqual(['onShutdown:start', 'onShutdown:end']);
  expect(service.output()).toContain('FINALLY exitCode=1');
});

test('a hook that hangs past its timeout is reported and left behind, exit code 1', async () => {
  const service = await startService('hook-hangs');
  const signalledAt = performance.now();
  service.signal('SIGTERM');
  expect(await service.exited()).toEqual({ code: 1, signal: null });
  expect(performance.now() - signalledAt).toBeLessThan(5_000);
  expect(service.output()).toContain('onShutdown step "stuck" did not finish within 300 ms');
  // Same order: the hung hook and the next one ran together; the next one finished.
  expect(service.order()).toEqual(['after-stuck:start', 'after-stuck:end']);
  expect(service.output()).toContain('FINALLY exitCode=1');
});

test('the overall deadline forces what is left, exit code 1', async () => {
  const service = await startService('deadline', { DEADLINE_MS: '800' });
  service.signal('SIGTERM');
  expect(await service.exited()).toEqual({ code: 1, signal: null });
  expect(service.output()).toContain('deadline of 800 ms reached: forcing now');
  expect(service.output()).toContain('shutdown forced by the deadline');
});

test('no-exit mode: nothing calls exit, the process ends on its own with code 0', async () => {
  const service = await startService('clean', { NO_EXIT: '1' });
  const [port] = service.ports as [number];
  const reply = get(port, '/?ms=200');
  await service.waitFor('REQUEST /?ms=200');
  service.signal('SIGTERM');
  await expect(reply).resolves.toMatchObject({ status: 200 });
  expect(await service.exited()).toEqual({ code: 0, signal: null });
  expect(service.output()).toContain('exit code 0 (no exit: set as process.exitCode)');
});

test('no-exit mode after a failure: the process ends on its own with exitCode 1', async () => {
  const service = await startService('hook-throws', { NO_EXIT: '1' });
  service.signal('SIGTERM');
  expect(await service.exited()).toEqual({ code: 1, signal: null });
  expect(service.output()).toContain('exit code 1 (no exit: set as process.exitCode)');
});

test('an uncaught exception triggers the same shutdown when enabled, exit code 1', async () => {
  const service = await startService('uncaught');
  const [port] = service.ports as [number];
  await get(port, '/boom');
  expect(await service.exited()).toEqual({ code: 1, signal: null });
  expect(service.output()).toContain('shutdown started by uncaughtException');
});

test('development mode: no grace, beforeShutdown skipped, forcing is not a failure', async () => {
  const service = await startService('development', { GRACE_MS: '20000' });
  const [port] = service.ports as [number];
  const reply = outcome(get(port, '/hang'));
  await service.waitFor('REQUEST /hang');
  const signalledAt = performance.now();
  service.signal('SIGTERM');
  expect(await service.exited()).toEqual({ code: 0, signal: null });
  expect(performance.now() - signalledAt).toBeLessThan(3_000);
  expect(await reply).toBe('ECONNRESET');
  expect(service.output()).toContain('beforeShutdown skipped (development mode)');
  expect(service.order()).toEqual(['onShutdown:start', 'onShutdown:end']);
});
