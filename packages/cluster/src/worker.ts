// The worker side: one call turns a service written with @lastcall/lifecycle into a cluster worker.
import cluster from 'node:cluster';
import { assertDuration, assertKnownOptions, InvalidOptionTypeError, systemClock, withTimeout } from '@lastcall/core';
import type { ShutdownCoordinator } from '@lastcall/lifecycle';
import { isShutdownMessage, readyMessage } from './messages.js';

/** How long the worker waits for its IPC channel to the primary to close before it exits anyway, in milliseconds. */
export const DEFAULT_DISCONNECT_TIMEOUT_MS = 5_000;

/**
 * The name of the coordinator task that disconnects from the primary. It runs last in phase
 * `onShutdown`, so earlier tasks may still message the primary.
 */
export const DISCONNECT_TASK = 'cluster: disconnect from the primary';

/** What `clusterWorker` returns: whether this process is a worker, `ready()` and `dispose()`. */
export interface ClusterWorker {
  /** True in a cluster worker; false when the service runs on its own (then `ready()` does nothing). */
  readonly isWorker: boolean;
  /**
   * Tells the primary this worker is ready for traffic: call it after `listening` and any warm-up
   * (caches filled, connections opened). Until then a rolling restart keeps the old worker serving.
   * Later calls do nothing.
   */
  ready(): void;
  /** Removes the message listener and unregisters the disconnect task. Idempotent. */
  dispose(): void;
}

const WHERE = 'clusterWorker';

/**
 * Makes the process a lastcall cluster worker: the primary's shutdown message runs
 * `coordinator.shutdown()` (stop accepting, drain, hooks, exit), and a last `onShutdown` task
 * disconnects from the primary before the coordinator exits. That disconnect is what keeps a
 * connection the primary was handing over at the last moment from being stranded: the primary
 * hears this worker refuse it and gives it to another worker. Outside a cluster worker it
 * registers nothing, so the same service also runs alone.
 */
export function clusterWorker(
  coordinator: ShutdownCoordinator,
  options: {
    /** Bound of the disconnect from the primary, in milliseconds. Defaults to 5000. */
    disconnectTimeout?: number;
  } = {},
): ClusterWorker {
  assertKnownOptions(WHERE, options, ['disconnectTimeout']);
  const candidate = coordinator as Partial<ShutdownCoordinator> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.task !== 'function') {
    throw new InvalidOptionTypeError(WHERE, 'coordinator', 'a coordinator from createCoordinator()', coordinator);
  }
  const disconnectTimeoutMs = assertDuration(
    WHERE,
    'disconnectTimeout',
    options.disconnectTimeout === undefined ? DEFAULT_DISCONNECT_TIMEOUT_MS : options.disconnectTimeout,
  );
  const worker = cluster.isWorker ? cluster.worker : undefined;
  if (worker === undefined) {
    return { isWorker: false, ready: () => undefined, dispose: () => undefined };
  }

  let readySent = false;
  const onMessage = (message: unknown): void => {
    if (isShutdownMessage(message)) void coordinator.shutdown();
  };
  worker.on('message', onMessage);
  const unregister = coordinator.task(
    DISCONNECT_TASK,
    () => {
      if (!worker.isConnected()) return undefined;
      const disconnected = new Promise<void>((resolve) => worker.once('disconnect', () => resolve()));
      // Closes what the servers left open (nothing, once the terminators ran), tells the primary,
      // and waits for its answer: every connection it handed us before that was refused by now.
      worker.disconnect();
      return withTimeout(disconnected, disconnectTimeoutMs, systemClock, () => undefined);
    },
    { order: Number.MAX_SAFE_INTEGER, timeout: disconnectTimeoutMs + 1_000 },
  );
  let disposed = false;
  return {
    isWorker: true,
    ready() {
      if (readySent || disposed || !worker.isConnected()) return;
      readySent = true;
      worker.send(readyMessage);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      worker.off('message', onMessage);
      unregister();
    },
  };
}
