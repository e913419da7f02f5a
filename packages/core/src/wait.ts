// The one bounded wait of lastcall: a promise against a clock's timer (and an optional abort).
import pTimeout from 'p-timeout';
import type { Clock } from './clock.js';
import { InvalidOptionRangeError, InvalidOptionTypeError } from './errors.js';

const WHERE = 'withTimeout';

/** Marks an abort inside the raced promise, so the abort and the timer end the wait alike. */
const ABORTED: unique symbol = Symbol('aborted');

/**
 * Waits for `promise` at most `ms` milliseconds of `clock` time; on timeout resolves with
 * `onTimeout()`'s value (the promise is left to settle on its own). `Infinity` waits without a
 * timer; 0 or less times out on the next timer turn. A rejection of `promise` rejects. An
 * `AbortSignal` in options ends the wait early with `onTimeout()` too.
 *
 * For lastcall's sibling packages and other package authors: the bounded wait core uses, on
 * the terminator's clock (so a test clock drives it). Covered by semver.
 *
 * @throws TypeError / RangeError when `ms` is not a number or is NaN, or `onTimeout` is not a function.
 */
export function withTimeout<T, F = undefined>(
  promise: PromiseLike<T>,
  ms: number,
  clock: Clock,
  onTimeout: () => F,
  options?: { signal?: AbortSignal },
): Promise<T | F> {
  if (typeof ms !== 'number') throw new InvalidOptionTypeError(WHERE, 'ms', 'a number of milliseconds', ms);
  if (Number.isNaN(ms)) throw new InvalidOptionRangeError(WHERE, 'ms', 'a number of milliseconds, not NaN', ms);
  if (typeof onTimeout !== 'function') throw new InvalidOptionTypeError(WHERE, 'onTimeout', 'a function', onTimeout);
  const signal = options?.signal;
  if (signal?.aborted) {
    // Nobody waits for it any more, but its rejection must not surface as unhandled.
    promise.then(undefined, () => undefined);
    return Promise.resolve().then(onTimeout);
  }
  // p-timeout wants a positive number: 0 or less becomes a timer due at once (the next timer
  // turn), which is what the clock is asked for below whatever p-timeout passes on.
  const delay = Math.max(ms, 0);
  const customTimers = {
    setTimeout: ((callback: () => void) => clock.setTimeout(callback, delay)) as unknown as typeof setTimeout,
    // p-timeout clears once the wait settles, also when it never made a timer (Infinity).
    clearTimeout: ((handle: unknown) => {
      if (handle !== undefined) clock.clearTimeout(handle);
    }) as typeof clearTimeout,
  };
  let stopListening = (): void => undefined;
  const raced: PromiseLike<T | typeof ABORTED> =
    signal === undefined
      ? promise
      : new Promise<T | typeof ABORTED>((resolve, reject) => {
          const onAbort = (): void => resolve(ABORTED);
          signal.addEventListener('abort', onAbort, { once: true });
          stopListening = () => signal.removeEventListener('abort', onAbort);
          promise.then(resolve, reject);
        });
  return pTimeout(raced, { milliseconds: delay > 0 ? delay : 1, fallback: onTimeout, customTimers })
    .then((value) => (value === ABORTED ? onTimeout() : (value as T | F)))
    .finally(stopListening);
}
