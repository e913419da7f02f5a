// The only source of time and timers in lastcall, so tests can drive deadlines.

/** Time and timers. Inject your own to drive deadlines from a test. */
export interface Clock {
  /** A monotonic time in milliseconds. */
  now(): number;
  /** Runs `callback` once after `ms` milliseconds. The timer must not keep the process alive. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer returned by `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/**
 * The default clock: `performance.now()` and unref'd Node timers. A timer of ours never
 * keeps a process alive on its own: when nothing else is open there is nothing to wait for.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
