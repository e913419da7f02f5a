// Hono on @hono/node-server behind lastcall: serve() returns the node:http server it created; the
// terminator drains it and @lastcall/lifecycle owns SIGTERM/SIGINT and the exit code.
// Run: pnpm start (PORT, SLOW_MS).
import { serve } from '@hono/node-server';
import { createTerminator } from '@lastcall/core';
import { createCoordinator } from '@lastcall/lifecycle';
import { Hono } from 'hono';

const port = Number(process.env.PORT ?? 3000);
const slowMs = Number(process.env.SLOW_MS ?? 1_000);

const app = new Hono();
app.get('/', (c) => c.text('ok'));
// A request that takes a while, to see one finish during the shutdown.
app.get('/slow', async (c) => {
  console.log('SLOW STARTED');
  await new Promise((resolve) => setTimeout(resolve, slowMs));
  return c.text('slow done');
});

const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  console.log(`READY http=${info.port}`);
});

const shutdown = createCoordinator({ deadline: 15_000 });
shutdown.add(createTerminator({ server, gracefulTimeout: 10_000 }), { name: 'hono' });
