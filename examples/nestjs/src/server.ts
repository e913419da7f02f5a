// NestJS behind lastcall through @lastcall/nestjs, on the express or the fastify platform
// (PLATFORM=express|fastify). Who owns SIGTERM (SHUTDOWN=nest|lifecycle): Nest's own
// enableShutdownHooks(), or @lastcall/lifecycle. Run: pnpm start (PORT, SLOW_MS).
import 'reflect-metadata';
import { createCoordinator } from '@lastcall/lifecycle';
import { LastcallModule, LastcallService } from '@lastcall/nestjs';
import { Controller, Get, type INestApplication, Module, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

const port = Number(process.env.PORT ?? 3000);
const slowMs = Number(process.env.SLOW_MS ?? 1_000);
const platform = process.env.PLATFORM ?? 'express';
const owner = process.env.SHUTDOWN ?? 'nest';

@Controller()
class AppController {
  @Get()
  hello(): string {
    return 'ok';
  }

  // A request that takes a while, to see one finish during the shutdown.
  @Get('slow')
  async slow(): Promise<string> {
    console.log('SLOW STARTED');
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    return 'slow done';
  }
}

/** Where a real service closes its pools: onApplicationShutdown runs after the server has drained. */
class Resources implements OnApplicationShutdown {
  onApplicationShutdown(): void {
    console.log('onApplicationShutdown: resources released');
  }
}

@Module({
  imports: [LastcallModule.forRoot({ gracefulTimeout: 10_000 })],
  controllers: [AppController],
  providers: [Resources],
})
class AppModule {}

async function main(): Promise<void> {
  const app: INestApplication =
    platform === 'fastify'
      ? // return503OnClosing: false, as for any fastify app behind lastcall (docs/guides/fastify.md).
        await NestFactory.create(AppModule, new FastifyAdapter({ return503OnClosing: false }), {
          logger: ['error', 'warn', 'log'],
        })
      : await NestFactory.create(AppModule, { logger: ['error', 'warn', 'log'] });
  if (owner === 'nest') {
    // Nest answers the signal: app.close() runs its hooks, ours drains in beforeApplicationShutdown.
    // useProcessExit: exit with code 0 instead of re-raising the signal.
    app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  }
  await app.listen(port, '127.0.0.1');
  if (owner === 'lifecycle') {
    // lastcall answers the signal: the drain first (phase "servers"), then app.close() runs every
    // Nest hook with no request in flight; the exit code says whether anything was forced.
    const shutdown = createCoordinator({ deadline: 15_000 });
    shutdown.add(app.get(LastcallService).terminator, { name: 'nest' });
    shutdown.task('nest close', () => app.close());
  }
  const address = app.getHttpServer().address();
  console.log(`READY http=${typeof address === 'object' && address ? address.port : port}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
