// Running under PM2: the `ready` handshake for `wait_ready`, PM2's `shutdown` message, leaving the
// cluster before exit, and start-up warnings when PM2's settings cannot fit the coordinator's shutdown.
import cluster from 'node:cluster';
import { assertKnownOptions, InvalidOptionTypeError } from '@lastcall/core';
import { FLUSH_TIMEOUT_MS } from './logger.js';
import { FORCED_WAIT_MS } from './PhaseRunner.js';
import { type Pm2Settings, readPm2Settings } from './pm2Settings.js';
import { Coordinator, type ShutdownCoordinator } from './ShutdownCoordinator.js';
import { hasMethods } from './shape.js';

/**
 * How long a PM2 cluster worker waits, after its servers closed, for the primary (PM2's daemon) to
 * acknowledge that it leaves the cluster, in milliseconds. The answer takes one IPC round trip.
 */
export const PM2_DISCONNECT_TIMEOUT_MS = 2_000;

/** Codes of the warnings `underPm2` logs (the `code` field of the log line, and of `warnings`). */
export const PM2_WARNING_CODES = {
  /** The coordinator's shutdown can last longer than PM2 waits before SIGKILL (`kill_timeout`). */
  killTimeout: 'LASTCALL_PM2_KILL_TIMEOUT',
  /** PM2 stops the process with a signal the coordinator does not listen to. */
  signal: 'LASTCALL_PM2_SIGNAL',
  /** `wait_ready` is off: PM2 takes the first `listening` as ready, so `ready()` is not waited for. */
  waitReady: 'LASTCALL_PM2_WAIT_READY',
  /** `ready()` came after `listen_timeout`: PM2 had already stopped waiting and moved on. */
  lateReady: 'LASTCALL_PM2_LATE_READY',
} as const;

type Pm2WarningCode = (typeof PM2_WARNING_CODES)[keyof typeof PM2_WARNING_CODES];
type Pm2Warning = Pm2Integration['warnings'][number];

/** The slice of `process` `underPm2` uses, so a test can hand it an emitter with an `env`. */
export interface Pm2ProcessLike {
  /** The environment PM2 copies its app options into. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Present when the process has an IPC channel to its parent (PM2 always opens one). */
  send?: ((message: 'ready') => unknown) | undefined;
  /** Listens to IPC messages from PM2 (`'shutdown'` with `shutdown_with_message`). */
  on(event: 'message', listener: (message: unknown) => void): unknown;
  /** Stops listening to IPC messages. */
  removeListener(event: 'message', listener: (message: unknown) => void): unknown;
  /** Seconds since the process started, to tell whether `ready()` came after `listen_timeout`. */
  uptime(): number;
}

/** The slice of `cluster.worker` `underPm2` uses (PM2's cluster mode runs the app as a `node:cluster` worker). */
export interface Pm2ClusterWorker {
  /** True while the IPC channel to the cluster primary is open. */
  isConnected(): boolean;
  /** Asks the primary to hand this worker no more connections and closes the channel. */
  disconnect(): unknown;
  /** Runs `listener` once the channel to the primary is closed. */
  once(event: 'disconnect', listener: () => void): unknown;
}

/** What `attachPm2` runs against; both exist for tests, the defaults are the real process and worker. */
export interface UnderPm2Options {
  /** The process (tests). Defaults to `globalThis.process`. */
  process?: Pm2ProcessLike;
  /** This process's `node:cluster` worker, or `null` outside cluster mode (tests). Defaults to `cluster.worker` when this process is a cluster worker. */
  worker?: Pm2ClusterWorker | null;
}

/** What `underPm2` returns: what it detected, the warnings, and `ready()`. */
export interface Pm2Integration {
  /** Whether the process runs under PM2 (PM2 sets `pm_id` in its environment). Outside PM2 everything here is a no-op. */
  readonly detected: boolean;
  /** What PM2 told the process, or `undefined` outside PM2. */
  readonly settings: Pm2Settings | undefined;
  /** Longest time from the stop signal to `process.exit`, in milliseconds: the deadline, the forced drain's wait, the logger's flush. */
  readonly budget: number;
  /**
   * The warnings logged at start-up (and by a late `ready()`): `code` says which check (one of
   * `PM2_WARNING_CODES`), `message` is the line written to the coordinator's logger, naming the
   * values to change.
   */
  readonly warnings: readonly {
    /** Which check warned (the log line's `code`). */
    readonly code: (typeof PM2_WARNING_CODES)[keyof typeof PM2_WARNING_CODES];
    /** The warning in words, with the fix. */
    readonly message: string;
  }[];
  /**
   * Tells PM2 the process is ready (`process.send('ready')`), for `wait_ready`: call it once every
   * server listens and warm-up is done. Sent once; returns whether it was sent.
   */
  ready(): boolean;
  /** Removes the `message` listener and the cluster task. Idempotent. */
  dispose(): void;
}

const WHERE = 'underPm2';

/**
 * Fits a coordinator to PM2. Under PM2 (outside it, a no-op): PM2's `'shutdown'` message starts
 * the shutdown as a signal would (`shutdown_with_message`); in cluster mode, the worker leaves
 * the cluster after its servers drained and before it exits, so the daemon hands no connection
 * to a process about to exit; and it logs a warning, through the coordinator's logger, when the
 * shutdown can outlast `kill_timeout`, when PM2's stop signal is not one the coordinator listens
 * to, or when `wait_ready` is off. Call `ready()` once the service can serve.
 *
 * ```ts
 * const shutdown = createCoordinator();
 * shutdown.add(createTerminator({ server }));
 * const pm2 = underPm2(shutdown);
 * server.listen(3000, () => pm2.ready());
 * ```
 *
 * @throws TypeError naming the argument or option when it is not what is expected.
 * @throws ShutdownStartedError under PM2 cluster mode when the coordinator's shutdown has started.
 */
export function underPm2(coordinator: ShutdownCoordinator): Pm2Integration {
  return attachPm2(coordinator, {});
}

/** `underPm2` with the process and the cluster worker given (tests hand it fakes). */
export function attachPm2(coordinator: ShutdownCoordinator, options: UnderPm2Options): Pm2Integration {
  // The coordinator's validated config (deadline, signals, logger) is read, so it must be ours.
  if (!(coordinator instanceof Coordinator)) {
    throw new InvalidOptionTypeError(WHERE, 'coordinator', 'a coordinator from createCoordinator()', coordinator);
  }
  assertKnownOptions(WHERE, options, ['process', 'worker']);
  const proc = resolveProcess(options.process);
  const worker = resolveWorker(options.worker);
  const { logger, deadline, signals } = coordinator.config;
  const budget = deadline + FORCED_WAIT_MS + FLUSH_TIMEOUT_MS;
  const settings = readPm2Settings(proc.env);
  const warnings: Pm2Warning[] = [];
  const warn = (code: Pm2WarningCode, message: string, fields: Record<string, unknown> = {}): void => {
    warnings.push({ code, message });
    logger.warn({ event: 'pm2', code, ...fields }, message);
  };

  if (settings === undefined) {
    return { detected: false, settings, budget, warnings, ready: () => false, dispose: () => undefined };
  }

  if (budget > settings.killTimeout) {
    const maxDeadlineMs = settings.killTimeout - FORCED_WAIT_MS - FLUSH_TIMEOUT_MS;
    const fix = !Number.isFinite(budget)
      ? 'give the coordinator a finite deadline'
      : maxDeadlineMs > 0
        ? `set kill_timeout to at least ${budget} ms, or the deadline to at most ${maxDeadlineMs} ms`
        : `set kill_timeout to at least ${budget} ms`;
    warn(
      PM2_WARNING_CODES.killTimeout,
      `PM2 sends SIGKILL ${settings.killTimeout} ms after asking this process to stop (${settings.killTimeoutFrom}), but its shutdown may take ${budget} ms (deadline ${deadline} ms + ${FORCED_WAIT_MS} ms to force + ${FLUSH_TIMEOUT_MS} ms to flush the logger): ${fix}`,
      { killTimeout: settings.killTimeout, budget },
    );
  }
  if (!settings.shutdownWithMessage && !signals.includes(settings.killSignal)) {
    warn(
      PM2_WARNING_CODES.signal,
      `PM2 stops this process with ${settings.killSignal}, which the coordinator does not listen to (signals: ${signals.join(', ') || 'none'}): add it to the signals option`,
      { killSignal: settings.killSignal },
    );
  }
  if (!settings.waitReady) {
    warn(
      PM2_WARNING_CODES.waitReady,
      'PM2 wait_ready is off: on reload PM2 stops the old process as soon as the new one listens, not when it calls ready(): set wait_ready: true',
    );
  }

  const subscriptions: Array<() => void> = [];
  // PM2 sends the string 'shutdown' instead of a signal with shutdown_with_message (and on Windows).
  const onMessage = (message: unknown): void => {
    if (message === 'shutdown' && coordinator.state === 'idle') void coordinator.shutdown();
  };
  proc.on('message', onMessage);
  subscriptions.push(() => proc.removeListener('message', onMessage));

  if (worker) {
    // A cluster worker that exits while the primary is handing it a connection strands that
    // connection: the client hangs. Disconnecting waits for the primary's acknowledgement, which
    // arrives after any handoff already sent (and refused, as the servers are closed by now).
    subscriptions.push(
      coordinator.task('pm2: leave the cluster', () => leaveCluster(worker), {
        phase: 'onShutdown',
        order: Number.MIN_SAFE_INTEGER,
        timeout: PM2_DISCONNECT_TIMEOUT_MS,
      }),
    );
  }

  let sent = false;
  return {
    detected: true,
    settings,
    budget,
    warnings,
    ready: () => {
      if (sent || typeof proc.send !== 'function' || coordinator.state !== 'idle') return false;
      sent = true;
      proc.send('ready');
      const uptime = Math.round(proc.uptime() * 1000);
      if (settings.waitReady && uptime > settings.listenTimeout) {
        warn(
          PM2_WARNING_CODES.lateReady,
          `ready() came ${uptime} ms after start, after PM2's listen_timeout of ${settings.listenTimeout} ms: PM2 had already moved on (on reload, stopped the old process): raise listen_timeout`,
          { uptime, listenTimeout: settings.listenTimeout },
        );
      }
      return true;
    },
    dispose: () => {
      for (const undo of subscriptions.splice(0).reverse()) undo();
    },
  };
}

function leaveCluster(worker: Pm2ClusterWorker): Promise<void> {
  if (!worker.isConnected()) return Promise.resolve();
  return new Promise((resolve) => {
    worker.once('disconnect', resolve);
    worker.disconnect();
  });
}

function resolveProcess(value: unknown): Pm2ProcessLike {
  if (value === undefined) return globalThis.process as unknown as Pm2ProcessLike;
  const env = (value as { env?: unknown } | null)?.env;
  if (!hasMethods(value, ['on', 'removeListener', 'uptime']) || typeof env !== 'object' || env === null) {
    throw new InvalidOptionTypeError(
      WHERE,
      'process',
      'a process-like object with env, on, removeListener, uptime',
      value,
    );
  }
  return value as Pm2ProcessLike;
}

function resolveWorker(value: unknown): Pm2ClusterWorker | null {
  if (value === undefined) return cluster.isWorker && cluster.worker ? cluster.worker : null;
  if (value === null) return null;
  if (!hasMethods(value, ['isConnected', 'disconnect', 'once'])) {
    throw new InvalidOptionTypeError(
      WHERE,
      'worker',
      'a cluster worker (isConnected, disconnect, once) or null',
      value,
    );
  }
  return value as Pm2ClusterWorker;
}
