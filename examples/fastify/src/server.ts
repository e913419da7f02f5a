// fastify behind lastcall through the @lastcall/fastify plugin: fastify's own close() drains the
// server; @lastcall/lifecycle owns SIGTERM/SIGINT and the exit code. Run: pnpm start (PORT, SLOW_MS).
import { lastcall } from '@lastcall/fastify';
import { createCoordinator } from '@lastcall/lifecycle';
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 3000);
const slowMs = Number(process.env.SLOW_MS ?? 1_000);

// The workspace type-check reads examples as CommonJS (no top-level await): hence main().
async function main(): Promise<void> {
  // return503OnClosing: false — once close() has begun, fastify would answer 503 to a request that
  // arrives on an open keep-alive connection; lastcall serves it with Connection: close instead.
  const app = Fastify({ return503OnClosing: false });
  await app.register(lastcall, { gracefulTimeout: 10_000 });

  app.get('/', async () => 'ok');
  // A request that takes a while, to see one finish during the shutdown.
  app.get('/slow', async () => {
    console.log('SLOW STARTED');
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    return 'slow done';
  });
  app.addHook('onClose', async () => {
    // Where a real service closes its pools: fastify runs onClose after the server has drained.
    console.log('onClose: resources released');
  });

  const shutdown = createCoordinator({ deadline: 15_000 });
  // Phase "servers": drain. Phase "onShutdown": fastify's close() runs the app's onClose hooks (its
  // preClose gets the report of the drain that already ran).
  shutdown.add(app.lastcall, { name: 'fastify' });
  shutdown.task('fastify close', () => app.close());

  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address();
  console.log(`READY http=${typeof address === 'object' && address ? address.port : port}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
