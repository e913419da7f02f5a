// BullMQ on Redis: the producer the POST handler enqueues with, and the worker that processes
// the orders, with the shutdown a queue consumer needs (stop fetching, let running jobs finish
// for a bound, then hand the rest back to the queue so none is left active to stall and run twice).
import { type Job, Queue, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';

export const QUEUE_NAME = 'orders';

/** What a job carries: the order to process and how long its (simulated) work takes. */
export interface OrderJob {
  orderId: string;
  /** Milliseconds of work before the order is marked processed (an e-mail, a payment call…). */
  workMs: number;
}

/** One Redis connection for the producer and the worker's commands (BullMQ duplicates it for its blocking reads). */
export function createRedis(url: string): Redis {
  // null: BullMQ's worker retries its blocking commands itself; ioredis must not give up on them.
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  redis.on('error', (error) => console.error(`redis: ${error.message}`));
  return redis;
}

export function createProducer(redis: Redis): Queue<OrderJob> {
  return new Queue<OrderJob>(QUEUE_NAME, { connection: redis });
}

/** What the worker's shutdown did: how many jobs it let finish and how many it handed back. */
export interface WorkerShutdownReport {
  /** Jobs that finished during the shutdown. */
  finished: number;
  /** Jobs aborted at `finishTimeout` that moved themselves back to the wait list. */
  handedBack: number;
  /** Jobs whose handler ignored the abort: moved back to the wait list by the worker at the end. */
  movedBack: number;
}

/** Options of `OrderWorker.shutdown()`; durations in milliseconds. */
export interface WorkerShutdownOptions {
  /** How long running jobs may take to finish before they are asked to hand themselves back. */
  finishTimeout: number;
  /** How long an aborted job may take to hand itself back before the worker moves it back. */
  handBackTimeout: number;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class OrderWorker {
  readonly worker: Worker<OrderJob>;
  /** Jobs this worker holds right now, with the lock token it holds them by. */
  readonly #active = new Map<string, { job: Job<OrderJob>; token: string }>();
  #completed = 0;
  #handedBack = 0;

  constructor(
    redis: Redis,
    private readonly pool: pg.Pool,
    concurrency = 8,
  ) {
    this.worker = new Worker<OrderJob>(QUEUE_NAME, (job, token, signal) => this.#process(job, token, signal), {
      connection: redis,
      concurrency,
    });
    this.worker.on('error', (error) => console.error(`bullmq worker: ${error.message}`));
    this.worker.on('failed', (job, error) => console.error(`bullmq job ${job?.id} failed: ${error.message}`));
  }

  /** Jobs completed by this process so far. */
  get completed(): number {
    return this.#completed;
  }

  async #process(job: Job<OrderJob>, token: string | undefined, signal: AbortSignal | undefined): Promise<void> {
    const id = job.id as string;
    this.#active.set(id, { job, token: token ?? '' });
    try {
      try {
        await sleep(job.data.workMs, signal);
      } catch {
        // Aborted by the shutdown before the work was done: back to the wait list, for the next
        // worker to run from the start. WaitingError tells BullMQ the job moved itself (not failed).
        await job.moveToWait(token);
        this.#handedBack++;
        throw new WaitingError();
      }
      await this.pool.query('UPDATE orders SET processed = processed + 1, processed_at = now() WHERE id = $1', [
        job.data.orderId,
      ]);
      this.#completed++;
    } finally {
      this.#active.delete(id);
    }
  }

  /**
   * Stop fetching, let the running jobs finish for `finishTimeout`, then abort them (each hands
   * itself back); a handler that ignores the abort has its job moved back at `handBackTimeout`.
   * No job is left active: an active job without its worker would stall and run twice.
   */
  async shutdown({ finishTimeout, handBackTimeout }: WorkerShutdownOptions): Promise<WorkerShutdownReport> {
    const completedBefore = this.#completed;
    const handedBackBefore = this.#handedBack;
    // pause(): no more jobs fetched; resolves when the running ones are done.
    const idle = this.worker.pause();
    if (!(await settlesWithin(idle, finishTimeout))) {
      this.worker.cancelAllJobs('shutdown');
      await settlesWithin(idle, handBackTimeout);
    }
    let movedBack = 0;
    for (const [id, { job, token }] of this.#active) {
      await job.moveToWait(token);
      this.#active.delete(id);
      movedBack++;
    }
    // force only when a handler is still running: its job is already back in the queue.
    await this.worker.close(movedBack > 0);
    return {
      finished: this.#completed - completedBefore,
      handedBack: this.#handedBack - handedBackBefore,
      movedBack,
    };
  }
}

/** true if the promise settled within `ms`. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}
