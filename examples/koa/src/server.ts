// koa behind lastcall: the server is what app.listen() returns (koa's listen() is
// http.createServer(app.callback()).listen()); the terminator drains it and @lastcall/lifecycle
// owns SIGTERM/SIGINT and the exit code. Run: pnpm start (PORT, SLOW_MS).
import { createTerminator } from '@lastcall/core';
import { createCoordinator } from '@lastcall/lifecycle';
import Koa from 'koa';

const port = Number(process.env.PORT ?? 3000);
const slowMs = Number(process.env.SLOW_MS ?? 1_000);

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path === '/slow') {
    // A request that takes a while, to see one finish during the shutdown.
    console.log('SLOW STARTED');
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    ctx.body = 'slow done';
    return;
  }
  ctx.body = 'ok';
});

const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`READY http=${typeof address === 'object' && address ? address.port : port}`);
});

const shutdown = createCoordinator({ deadline: 15_000 });
shutdown.add(createTerminator({ server, gracefulTimeout: 10_000 }), { name: 'koa' });
