// Smoke test of the NestJS example (@lastcall/nestjs) on both platforms, with Nest's own shutdown
// hooks and with @lastcall/lifecycle: a real process under keep-alive load, a real SIGTERM while a
// slow request is in flight; the request completes, nothing fails, the exit code is 0.
import * as path from 'node:path';
import { describeSmoke, runSmoke } from '@lastcall/test-kit';

test.each([
  ['express', 'nest'],
  ['fastify', 'nest'],
  ['express', 'lifecycle'],
  ['fastify', 'lifecycle'],
])('NestJS on %s, SIGTERM handled by %s: drains and exits 0', async (platform, owner) => {
  const result = await runSmoke({
    entry: path.join(__dirname, '..', 'src', 'server.ts'),
    env: { PLATFORM: platform, SHUTDOWN: owner },
  });
  console.log(describeSmoke(`nestjs ${platform}/${owner}`, result));
  expect(result.inFlight).toEqual({ status: 200, body: 'slow done' });
  expect(result.load.failures).toEqual({});
  expect(result.load.failed).toBe(0);
  expect(result.code).toBe(0);
  // The drain ran inside Nest's shutdown, and the app's own hooks after it.
  expect(result.lines.some((line) => /server drained in|servers closed in/.test(line))).toBe(true);
  expect(result.lines).toContain('onApplicationShutdown: resources released');
});
