// The ordered shutdown, each step with its own bound inside the overall deadline:
//   stop taking work -> finish what is in flight -> the worker finishes or hands back its jobs
//   -> Redis closes -> the pool ends -> telemetry flushes, last.
// Every step's outcome (ok, timed-out, failed) is in the coordinator's report and its last log line.
import { createTerminator } from '@lastcall/core';
import type { ShutdownCoordinator } from '@lastcall/lifecycle';
import { instrumentShutdown } from '@lastcall/otel';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { Service } from './service.js';

/** Every bound of the shutdown, in milliseconds. Their sum stays inside `deadline`. */
export const BOUNDS = {
  /** The whole shutdown, signal to exit (inside Kubernetes' default 30 s grace period). */
  deadline: 20_000,
  /** In-flight requests finish within this; then their connections are forced. */
  gracefulTimeout: 8_000,
  /** Running jobs finish within this; then they are asked to hand themselves back. */
  workerFinish: 3_000,
  /** An aborted job hands itself back within this; else the worker moves it back. */
  workerHandBack: 1_000,
  /** The producer's and the shared Redis connection's close. */
  redis: 1_000,
  /** pool.end(): every client released and closed. */
  pool: 2_000,
  /** The SDK's shutdown: the spans still batched are exported. */
  telemetry: 3_000,
} as const;

export function registerShutdown(coordinator: ShutdownCoordinator, service: Service, sdk: NodeSDK): void {
  const { server, health, worker, producer, redis, pool } = service;
  // 1. Stop taking work: readiness answers 503 first (beforeShutdown), then the listener closes.
  health.attach(coordinator);
  // 2. Finish what is in flight: the HTTP drain. Requests still running use the pool and Redis,
  //    so both stay open until it is done.
  coordinator.add(createTerminator({ server, gracefulTimeout: BOUNDS.gracefulTimeout }), { name: 'http' });
  // 3. The worker stops fetching, lets running jobs finish, hands the rest back to the queue.
  //    It uses Redis and the pool, so it goes before both.
  coordinator.task(
    'bullmq worker',
    async () => {
      const report = await worker.shutdown({
        finishTimeout: BOUNDS.workerFinish,
        handBackTimeout: BOUNDS.workerHandBack,
      });
      console.log(
        `bullmq worker closed: ${report.finished} jobs finished, ${report.handedBack} handed back, ${report.movedBack} moved back`,
      );
    },
    // Its own bound: both waits plus a second to move jobs back and close.
    { order: 1, timeout: BOUNDS.workerFinish + BOUNDS.workerHandBack + 1_000 },
  );
  // 4. Nothing enqueues any more: close the producer, then the connection it shared with the worker.
  coordinator.task(
    'redis',
    async () => {
      await producer.close();
      await redis.quit();
    },
    { order: 2, timeout: BOUNDS.redis },
  );
  // 5. Nobody queries any more: end the pool.
  coordinator.task('postgres pool', () => pool.end(), { order: 3, timeout: BOUNDS.pool });
  // 6. Telemetry last: the shutdown's phases and steps as spans, its reports as metrics, and the
  //    SDK's shutdown (the flush) as the very last step, so everything above is in it.
  instrumentShutdown(coordinator, { flush: () => sdk.shutdown(), flushTimeout: BOUNDS.telemetry });
}
