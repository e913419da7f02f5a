// Smoke test of the WebSocket example: keep-alive HTTP load and two open WebSockets, a real
// SIGTERM while a slow request is in flight; the request completes, nothing fails, each socket
// gets close 1001 (not 1006, a cut), the exit code is 0.
import * as path from 'node:path';
import { describeSmoke, runSmoke, within } from '@lastcall/test-kit';
import WebSocket from 'ws';

test('websocket: SIGTERM closes the sockets with 1001, drains HTTP and exits 0', async () => {
  const closes: Promise<number>[] = [];
  const result = await runSmoke({
    entry: path.join(__dirname, '..', 'src', 'server.ts'),
    beforeSignal: async (example) => {
      for (let i = 0; i < 2; i++) {
        const socket = new WebSocket(`ws://127.0.0.1:${example.ports.http}`);
        const echoed = new Promise<void>((resolve, reject) => {
          socket.once('message', () => resolve());
          socket.once('error', reject);
        });
        socket.once('open', () => socket.send('hello'));
        closes.push(new Promise((resolve) => socket.once('close', (code: number) => resolve(code))));
        // Open and answering before the signal: the drain finds it upgraded.
        await within(echoed, 5_000, 'the WebSocket echo');
      }
    },
  });
  console.log(describeSmoke('websocket', result));
  expect(await within(Promise.all(closes), 5_000, 'the WebSocket close events')).toEqual([1001, 1001]);
  expect(result.inFlight).toEqual({ status: 200, body: 'slow done' });
  expect(result.load.failures).toEqual({});
  expect(result.load.failed).toBe(0);
  expect(result.code).toBe(0);
});
