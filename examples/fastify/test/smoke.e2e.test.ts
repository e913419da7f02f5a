// Smoke test of the fastify example (the @lastcall/fastify plugin): a real process under keep-alive load, a real SIGTERM
// while a slow request is in flight; the request completes, nothing fails, the exit code is 0.
import * as path from 'node:path';
import { describeSmoke, runSmoke } from '@lastcall/test-kit';

test('fastify: SIGTERM under keep-alive load drains and exits 0', async () => {
  const result = await runSmoke({ entry: path.join(__dirname, '..', 'src', 'server.ts') });
  console.log(describeSmoke('fastify', result));
  expect(result.inFlight).toEqual({ status: 200, body: 'slow done' });
  expect(result.load.failures).toEqual({});
  expect(result.load.failed).toBe(0);
  expect(result.code).toBe(0);
  // fastify's onClose hooks ran after the drain, through the coordinator's close() task.
  expect(result.lines).toContain('onClose: resources released');
});
