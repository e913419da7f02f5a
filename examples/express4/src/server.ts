// express 4 behind lastcall: the server is what app.listen() returns; the terminator drains it
// and @lastcall/lifecycle owns SIGTERM/SIGINT and the exit code. Run: pnpm start (PORT, SLOW_MS).
import { createTerminator } from '@lastcall/core';
import { createCoordinator } from '@lastcall/lifecycle';
import express from 'express';

const port = Number(process.env.PORT ?? 3000);
const slowMs = Number(process.env.SLOW_MS ?? 1_000);

const app = express();
app.get('/', (_req, res) => {
  res.send('ok');
});
// A request that takes a while, to see one finish during the shutdown.
app.get('/slow', (_req, res) => {
  console.log('SLOW STARTED');
  setTimeout(() => res.send('slow done'), slowMs);
});

// app.listen() returns the node:http server express created: that is what lastcall drains.
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`READY http=${typeof address === 'object' && address ? address.port : port}`);
});

const shutdown = createCoordinator({ deadline: 15_000 });
shutdown.add(createTerminator({ server, gracefulTimeout: 10_000 }), { name: 'express' });
