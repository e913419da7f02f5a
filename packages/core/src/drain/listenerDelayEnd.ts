// What ends a listener delay, apart from the drain that waits for it: the `until` option's forms
// (milliseconds, a promise, an AbortSignal, a function returning one of those), checked at
// construction and listened to at `begin()`. Internal: not exported from the package index.
import { assertDuration, InvalidOptionTypeError } from '../errors.js';

/** What ends a listener delay (see `ListenerDelayDrain`'s `until` option). */
export type ListenerDelayEnd = number | PromiseLike<unknown> | AbortSignal;

/** Checks the `until` option's form; a number must be a duration. */
export function assertUntil(where: string, until: unknown): void {
  if (typeof until === 'number') assertDuration(where, 'until', until);
  else if (typeof until !== 'function' && !isPromiseLike(until) && !(until instanceof AbortSignal)) {
    throw new InvalidOptionTypeError(where, 'until', 'milliseconds, a promise, an AbortSignal or a function', until);
  }
}

/**
 * Listens for an end that is a signal or a promise (a number is the caller's timer): `onEnd`
 * gets the outcome (a string reason or resolved value, else `aborted` / `ended`), `onFailure` a
 * rejection. When `stop` aborts (the delay ended otherwise) the signal's listener goes; a
 * promise cannot be unsubscribed, so its callbacks must ignore a delay that is over.
 */
export function listenForEnd(
  end: ListenerDelayEnd,
  stop: AbortSignal,
  onEnd: (outcome: string) => void,
  onFailure: (error: unknown) => void,
): void {
  if (end instanceof AbortSignal) {
    const onAbort = (): void => onEnd(typeof end.reason === 'string' ? end.reason : 'aborted');
    if (end.aborted) onAbort();
    else {
      end.addEventListener('abort', onAbort, { once: true });
      stop.addEventListener('abort', () => end.removeEventListener('abort', onAbort), { once: true });
    }
  } else if (isPromiseLike(end)) {
    end.then((value) => onEnd(typeof value === 'string' ? value : 'ended'), onFailure);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
