// terminate(0), which the coordinator uses to force (second signal, deadline, development mode),
// must force at once and resolve, not reject.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTerminator } from '@lastcall/core';

test('terminate(0) forces an in-flight request at once and resolves with timedOut', async () => {
  const server = http.createServer(() => undefined); // never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const terminator = createTerminator({ server, gracefulTimeout: 60_000 });
  const request = http.get({ host: '127.0.0.1', port, agent: false });
  const failed = new Promise((resolve) => request.on('error', resolve));
  await new Promise((resolve) => server.once('request', resolve));
  const started = performance.now();
  const report = await terminator.terminate(0);
  expect(performance.now() - started).toBeLessThan(1_000);
  expect(report).toMatchObject({ timedOut: true, gracefulTimeoutMs: 0, connections: { forced: 1 } });
  await failed;
});
