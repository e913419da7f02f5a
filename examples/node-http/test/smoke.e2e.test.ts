// Smoke test of the plain node example: keep-alive load on http, https and HTTP/2 at once, a real
// SIGTERM while a slow request is in flight; the request completes, nothing fails, exit code 0.
import * as path from 'node:path';
import { describeSmoke, runSmoke, TLS_FIXTURE_PATHS } from '@lastcall/test-kit';

test('node:http + https + http2: SIGTERM under keep-alive load drains all three and exits 0', async () => {
  const result = await runSmoke({
    entry: path.join(__dirname, '..', 'src', 'server.ts'),
    env: { TLS_KEY: TLS_FIXTURE_PATHS.key, TLS_CERT: TLS_FIXTURE_PATHS.cert, HTTPS_PORT: '0', H2_PORT: '0' },
  });
  console.log(describeSmoke('node-http', result));
  expect(result.inFlight).toEqual({ status: 200, body: 'slow done' });
  expect(result.load.failures).toEqual({});
  expect(result.load.failed).toBe(0);
  expect(result.code).toBe(0);
});
