// An HTTP server with a ws WebSocket server on the same port, behind lastcall: KeepAliveDrain
// drains HTTP, WebSocketDrain sends every socket close 1001 and awaits the handshake; the two are
// combined in one terminator. @lastcall/lifecycle owns SIGTERM/SIGINT. Run: pnpm start (PORT, SLOW_MS).
import * as http from 'node:http';
import { createTerminator, KeepAliveDrain } from '@lastcall/core';
import { createCoordinator } from '@lastcall/lifecycle';
import { WebSocketDrain } from '@lastcall/ws';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 3000);
const slowMs = Number(process.env.SLOW_MS ?? 1_000);

const server = http.createServer((req, res) => {
  if (req.url === '/slow') {
    // A request that takes a while, to see one finish during the shutdown.
    console.log('SLOW STARTED');
    setTimeout(() => res.end('slow done'), slowMs);
    return;
  }
  res.end('ok');
});

// The WebSocket server shares the HTTP server: upgrades arrive on the same port.
const wss = new WebSocketServer({ server });
wss.on('connection', (socket) => {
  socket.on('message', (data) => socket.send(`echo ${data.toString()}`));
});

const terminator = createTerminator({
  server,
  gracefulTimeout: 10_000,
  drain: [new KeepAliveDrain(), new WebSocketDrain({ webSocketServers: wss })],
});
const shutdown = createCoordinator({ deadline: 15_000 });
shutdown.add(terminator, { name: 'http+ws' });

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`READY http=${typeof address === 'object' && address ? address.port : port}`);
});
