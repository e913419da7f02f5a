// The slice of `process` the coordinator uses, so a test can hand it an emitter and a fake exit.

/**
 * What the coordinator needs from the process: listeners for signals and error events, and
 * the exit. `globalThis.process` fits; so does an `EventEmitter` with an `exit` method.
 */
export interface ProcessLike {
  /** Adds a listener (signals, `uncaughtException`, `unhandledRejection`). */
  on(event: string, listener: (value: unknown) => void): unknown;
  /** Removes a listener the coordinator added. */
  removeListener(event: string, listener: (value: unknown) => void): unknown;
  /** Called once, with the exit code, when the exit policy says so. */
  exit(code: number): void;
  /** Set in no-exit mode when the shutdown was not clean, so the process ends with that code. */
  exitCode?: number | string | null | undefined;
}

export const isProcessLike = (value: unknown): value is ProcessLike => {
  const candidate = value as Partial<Record<keyof ProcessLike, unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.on === 'function' &&
    typeof candidate.removeListener === 'function' &&
    typeof candidate.exit === 'function'
  );
};
