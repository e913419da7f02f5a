// WebSockets with `ws` (DESIGN.md point 7): the core leaves upgraded connections to the
// deadline; @lastcall/ws's WebSocketDrain closes them with 1001, on this runtime's node:http.
import assert from 'node:assert/strict';
import { createTerminator, KeepAliveDrain } from '@lastcall/core';
import { WebSocketDrain } from '@lastcall/ws';
import { WebSocket, WebSocketServer } from 'ws';
import { check } from './lib/harness.mjs';
import { listen, within } from './lib/net.mjs';

const REPORT_WAIT = 8_000;

async function serveWebSockets(defer, drain) {
  const { server, port } = await listen('http', (_req, res) => res.end('ok'), defer);
  const wss = new WebSocketServer({ server });
  defer(() => wss.close());
  wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo ${data}`)));
  const terminator = createTerminator({ server, gracefulTimeout: 5_000, drain: drain?.(wss) });
  defer(() => (terminator.state === 'running' ? terminator.dispose() : undefined));
  return { port, terminator };
}

/** An open client with an echo round trip done; `closed` resolves with the close code and reason. */
async function client(port, defer) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
  defer(() => socket.terminate());
  socket.on('error', () => undefined);
  const closed = new Promise((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: `${reason}` })),
  );
  await within(
    new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    }),
    5_000,
    'the WebSocket to open',
  );
  const echo = new Promise((resolve) => socket.once('message', (data) => resolve(`${data}`)));
  socket.send('hello');
  assert.equal(await within(echo, 5_000, 'the echo'), 'echo hello');
  return { socket, closed };
}

check('WebSocket (ws)', 'WebSocketDrain closes every client with 1001 and nothing is forced', async (defer) => {
  const { port, terminator } = await serveWebSockets(defer, (wss) => [
    new KeepAliveDrain(),
    new WebSocketDrain({ webSocketServers: wss }),
  ]);
  const clients = [await client(port, defer), await client(port, defer)];
  const report = await within(terminator.terminate(), REPORT_WAIT, 'terminate()');
  for (const { closed } of clients) {
    assert.deepEqual(await within(closed, 2_000, 'the client to see its close'), {
      code: 1001,
      reason: 'server shutting down',
    });
  }
  assert.equal(report.timedOut, false);
  assert.equal(report.upgraded.atStart, 2);
  assert.equal(report.upgraded.closedGracefully, 2);
  assert.equal(report.upgraded.forced, 0);
});

check(
  'WebSocket (ws)',
  'without a WebSocket drain the core leaves upgraded connections to the deadline',
  async (defer) => {
    const { port, terminator } = await serveWebSockets(defer);
    const { closed } = await client(port, defer);
    const report = await within(terminator.terminate(300), REPORT_WAIT, 'terminate(300)');
    const { code } = await within(closed, 2_000, 'the forced client to close');
    assert.equal(code, 1006);
    assert.equal(report.timedOut, true);
    assert.equal(report.upgraded.atStart, 1);
    assert.equal(report.upgraded.forced, 1);
  },
);
