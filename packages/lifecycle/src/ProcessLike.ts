// The slice of `process` the coordinator uses, so a test can hand it an emitter and a fake exit.
import { hasMethods } from './shape.js';

/** A listener for a signal, `uncaughtException` or `unhandledRejection`. */
export type ProcessListener = (value: unknown) => void;

/**
 * What the coordinator needs from the process: listeners for signals and error events, and
 * the exit. `globalThis.process` fits; so does an `EventEmitter` with an `exit` method.
 */
export interface ProcessLike {
  /** Adds a listener (signals, `uncaughtException`, `unhandledRejection`). */
  on(event: string, listener: ProcessListener): unknown;
  /** Removes a listener the coordinator added. */
  removeListener(event: string, listener: ProcessListener): unknown;
  /** Called once, with the exit code, when the exit policy says so. */
  exit(code: number): void;
  /** Set in no-exit mode when the shutdown was not clean, so the process ends with that code. */
  exitCode?: number | string | null | undefined;
}

export const isProcessLike = (value: unknown): value is ProcessLike =>
  hasMethods(value, ['on', 'removeListener', 'exit']);
