// Phase and step order, several servers, and done-style tasks, in real child processes.
import { get, killChildren, startService } from './helpers/child';

afterEach(killChildren);

test('hooks, tasks and terminators run in the documented order', async () => {
  const service = await startService('order');
  service.signal('SIGTERM');
  expect(await service.exited()).toEqual({ code: 0, signal: null });
  const order = service.order();
  // beforeShutdown: order 0, then order 1 (a hook and a task, concurrently, registration order).
  expect(order.slice(0, 6)).toEqual([
    'before-a:start',
    'before-a:end',
    'before-b:start',
    'stop-consumers:start',
    'stop-consumers:end',
    'before-b:end',
  ]);
  // servers: both terminators start together; either may close first.
  expect(order.slice(6, 8)).toEqual(['api:start', 'admin:start']);
  expect(order.slice(8, 10).sort()).toEqual(['admin:end', 'api:end']);
  // onShutdown: order 0 concurrently (10, 20, 40 ms), then order 10.
  expect(order.slice(10)).toEqual([
    'on-hook:start',
    'db:start',
    'cache:start',
    'cache:end',
    'on-hook:end',
    'db:end',
    'flush-logs:start',
    'flush-logs:end',
  ]);
  const out = service.output();
  expect(out.indexOf('FINALLY')).toBeGreaterThan(out.indexOf('ORDER flush-logs:end'));
});

test('two servers: the first to finish does not end the other one’s request', async () => {
  const service = await startService('two-servers');
  const [api, admin] = service.ports as [number, number];
  const quick = get(api, '/?ms=200');
  const slow = get(admin, '/?ms=1500');
  await service.waitFor('REQUEST /?ms=200');
  await service.waitFor('REQUEST /?ms=1500');
  service.signal('SIGTERM');
  await expect(quick).resolves.toEqual({ status: 200, body: 'done after 200 ms' });
  await expect(slow).resolves.toEqual({ status: 200, body: 'done after 1500 ms' });
  expect(await service.exited()).toEqual({ code: 0, signal: null });
  const out = service.output();
  const apiClosed = out.indexOf('api: servers closed');
  const adminClosed = out.indexOf('admin: servers closed');
  expect(apiClosed).toBeGreaterThan(0);
  expect(adminClosed).toBeGreaterThan(apiClosed);
  // onShutdown waits for the last server, not the first.
  expect(out.indexOf('ORDER onShutdown:start')).toBeGreaterThan(adminClosed);
});

test('done-style tasks: done() called synchronously, later, or twice', async () => {
  const service = await startService('done-style');
  service.signal('SIGTERM');
  expect(await service.exited()).toEqual({ code: 0, signal: null });
  expect(service.order()).toEqual(['sync-done:called', 'async-done:called']);
  expect(service.output()).not.toMatch(/ReferenceError|failed/);
});
