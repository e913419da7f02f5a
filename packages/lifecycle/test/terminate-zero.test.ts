// terminate(0), which the coordinator uses to force (second signal, deadline, development mode),
// must force at once and resolve, not reject.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTerminator } from '@lastcall/core';
import { within } from '@lastcall/test-kit';

test('terminate(0) forces an in-flight request at once and resolves with timedOut', async () => {
  const server = http.createServer(() => undefined); // never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const terminator = createTerminator({ server, gracefulTimeout: 60_000 });
  try {
    const request = http.get({ host: '127.0.0.1', port, agent: false });
    const failed = new Promise((resolve) => request.on('error', resolve));
    await within(new Promise((resolve) => server.once('request', resolve)), 5_000, 'the request to reach the server');
    const started = performance.now();
    // Bounded well under the 60 s graceful timeout: resolving at all proves the force.
    const report = await within(terminator.terminate(0), 5_000, 'terminate(0) to resolve');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(report).toMatchObject({ timedOut: true, gracefulTimeout: 0, connections: { forced: 1 } });
    await within(failed, 5_000, 'the client to see its request fail');
  } finally {
    if (terminator.state === 'running') terminator.dispose();
    server.closeAllConnections();
    if (server.listening) server.close();
  }
});
