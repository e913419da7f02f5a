// What PM2 tells a process it runs, read from the environment PM2 copies every app option into,
// with PM2's own defaults where neither the app nor the daemon sets a value.

/** PM2's own `kill_timeout` when neither the app nor `PM2_KILL_TIMEOUT` sets one, in milliseconds (PM2 7). */
export const PM2_DEFAULT_KILL_TIMEOUT_MS = 1_600;
/** PM2's own `listen_timeout` when neither the app nor `PM2_GRACEFUL_LISTEN_TIMEOUT` sets one, in milliseconds (PM2 7). */
export const PM2_DEFAULT_LISTEN_TIMEOUT_MS = 3_000;
/** The signal PM2 stops a process with unless its daemon runs with `PM2_KILL_SIGNAL`. */
export const PM2_DEFAULT_KILL_SIGNAL: NodeJS.Signals = 'SIGINT';

/** What PM2 tells the process through its environment (every app option is copied into `process.env`). */
export interface Pm2Settings {
  /** `pm_id` of this process. */
  readonly id: string;
  /** `cluster_mode` or `fork_mode`. */
  readonly execMode: string | undefined;
  /** Time PM2 waits after the stop signal before SIGKILL, in milliseconds. */
  readonly killTimeout: number;
  /** Where `killTimeout` came from: the app's `kill_timeout`, the `PM2_KILL_TIMEOUT` variable, or PM2's default. */
  readonly killTimeoutFrom: 'kill_timeout' | 'PM2_KILL_TIMEOUT' | 'default';
  /** The signal PM2 stops the process with (not sent when `shutdownWithMessage`). */
  readonly killSignal: NodeJS.Signals;
  /** `shutdown_with_message`: PM2 sends the IPC message `'shutdown'` instead of a signal. */
  readonly shutdownWithMessage: boolean;
  /** `wait_ready`: on start and reload, PM2 waits for `process.send('ready')`. */
  readonly waitReady: boolean;
  /** How long PM2 waits for `ready` (or `listening`) before it goes on anyway, in milliseconds. */
  readonly listenTimeout: number;
}

/** Reads PM2's settings from the environment it gives its processes; `undefined` when not under PM2. */
export function readPm2Settings(env: Readonly<Record<string, string | undefined>>): Pm2Settings | undefined {
  if (env.pm_id === undefined || env.pm_id === '') return undefined;
  const own = positiveMs(env.kill_timeout);
  const daemon = positiveMs(env.PM2_KILL_TIMEOUT);
  const signal = env.PM2_KILL_SIGNAL;
  return {
    id: env.pm_id,
    execMode: env.exec_mode,
    killTimeout: own ?? daemon ?? PM2_DEFAULT_KILL_TIMEOUT_MS,
    killTimeoutFrom: own !== undefined ? 'kill_timeout' : daemon !== undefined ? 'PM2_KILL_TIMEOUT' : 'default',
    killSignal: signal?.startsWith('SIG') ? (signal as NodeJS.Signals) : PM2_DEFAULT_KILL_SIGNAL,
    shutdownWithMessage: env.shutdown_with_message === 'true',
    waitReady: env.wait_ready === 'true',
    listenTimeout:
      positiveMs(env.listen_timeout) ?? positiveMs(env.PM2_GRACEFUL_LISTEN_TIMEOUT) ?? PM2_DEFAULT_LISTEN_TIMEOUT_MS,
  };
}

// PM2 itself falls back to its default on a value it cannot use (0, empty, not a number): so do we.
function positiveMs(value: string | undefined): number | undefined {
  const ms = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
