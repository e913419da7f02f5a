// Everything the service holds, started in dependency order: the pool, Redis, the producer and
// the worker, the health state, the express app and its server.
import type { Server } from 'node:http';
import { createHealth, type Health } from '@lastcall/health';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createApp } from './app.js';
import { createPool, migrate } from './db.js';
import { createProducer, createRedis, type OrderJob, OrderWorker } from './queue.js';

export interface ServiceConfig {
  /** Port of the API and its probes; 0 for any free one. */
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string;
}

export interface Service {
  server: Server;
  health: Health;
  pool: pg.Pool;
  redis: Redis;
  producer: Queue<OrderJob>;
  worker: OrderWorker;
}

/** Reads the configuration from the environment, with the defaults `pnpm dev` and the README use. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

export async function startService(config: ServiceConfig): Promise<Service> {
  const pool = createPool(config.databaseUrl);
  await migrate(pool);
  const redis = createRedis(config.redisUrl);
  const producer = createProducer(redis);
  const worker = new OrderWorker(redis, pool);
  await worker.worker.waitUntilReady();
  const health = createHealth({
    checks: {
      postgres: async () => {
        await pool.query('SELECT 1');
      },
      redis: async () => {
        await redis.ping();
      },
    },
  });
  const app = createApp({ pool, producer, health });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, config.host, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  health.markStarted();
  return { server, health, pool, redis, producer, worker };
}
