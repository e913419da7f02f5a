// withTimeout, the one bounded wait: driven by a manual clock, then by the real one (bounded).
import { getEventListeners } from 'node:events';
import { InvalidOptionRangeError, InvalidOptionTypeError, systemClock, withTimeout } from '@lastcall/core';
import { countingClock, deferred, within } from '@lastcall/test-kit';
import { ManualClock } from './helpers/manualClock';

/** Lets every promise callback already queued run: a setImmediate comes after them all. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Records whether the wait settled, and how, without awaiting it. */
function watch<T>(wait: Promise<T>): {
  readonly done: boolean;
  readonly value: T | undefined;
  readonly error: unknown;
} {
  const state = { done: false, value: undefined as T | undefined, error: undefined as unknown };
  wait.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

describe('withTimeout on a manual clock', () => {
  it('resolves with the promise when it settles first, and leaves no timer behind', async () => {
    const clock = new ManualClock();
    const work = deferred<number>();
    const onTimeout = jest.fn(() => 'late' as const);
    const wait = watch(withTimeout(work.promise, 100, clock, onTimeout));
    expect(clock.pending).toBe(1);
    clock.advance(99);
    await settle();
    expect(wait.done).toBe(false);
    work.resolve(7);
    await settle();
    expect(wait).toMatchObject({ done: true, value: 7 });
    expect(clock.pending).toBe(0);
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it('resolves with onTimeout() at the deadline, not a moment before, and ignores the late promise', async () => {
    const clock = new ManualClock();
    const work = deferred<number>();
    const onTimeout = jest.fn(() => 'late' as const);
    const wait = watch(withTimeout(work.promise, 100, clock, onTimeout));
    clock.advance(99);
    await settle();
    expect(wait.done).toBe(false);
    clock.advance(1);
    await settle();
    expect(wait).toMatchObject({ done: true, value: 'late' });
    expect(onTimeout).toHaveBeenCalledTimes(1);
    work.resolve(7);
    await settle();
    expect(wait.value).toBe('late');
    expect(clock.pending).toBe(0);
  });

  it('leaves a promise that rejects after the timeout handled (no unhandled rejection)', async () => {
    const clock = new ManualClock();
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      let fail: (error: Error) => void = () => undefined;
      const work = new Promise<never>((_, reject) => {
        fail = reject;
      });
      const wait = withTimeout(work, 10, clock, () => 'late');
      clock.advance(10);
      await expect(wait).resolves.toBe('late');
      fail(new Error('too late'));
      await settle();
      await settle();
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.removeListener('unhandledRejection', unhandled);
    }
  });

  it('rejects when the promise rejects first, and clears its timer', async () => {
    const clock = new ManualClock();
    const failure = new Error('boom');
    const wait = withTimeout(Promise.reject(failure), 100, clock, () => 'late');
    await expect(wait).rejects.toBe(failure);
    expect(clock.pending).toBe(0);
  });

  it('rejects with what onTimeout throws', async () => {
    const clock = new ManualClock();
    const failure = new Error('from onTimeout');
    const wait = withTimeout(new Promise<never>(() => undefined), 5, clock, () => {
      throw failure;
    });
    clock.advance(5);
    await expect(wait).rejects.toBe(failure);
  });

  it('waits without a timer for Infinity', async () => {
    const clock = new ManualClock();
    const work = deferred<string>();
    const wait = watch(withTimeout(work.promise, Number.POSITIVE_INFINITY, clock, () => 'late'));
    expect(clock.pending).toBe(0);
    clock.advance(1e12);
    await settle();
    expect(wait.done).toBe(false);
    work.resolve('done');
    await settle();
    expect(wait).toMatchObject({ done: true, value: 'done' });
  });

  it.each([0, -5, Number.NEGATIVE_INFINITY])('times out on the next timer turn for %p', async (ms) => {
    const clock = new ManualClock();
    const wait = watch(withTimeout(new Promise<never>(() => undefined), ms, clock, () => 'late'));
    expect(clock.pending).toBe(1);
    await settle();
    expect(wait.done).toBe(false);
    // Due at once: a turn of the clock with no time passing fires it.
    clock.advance(0);
    await settle();
    expect(wait).toMatchObject({ done: true, value: 'late' });
  });

  it('a promise already settled wins over a timeout of 0', async () => {
    const clock = new ManualClock();
    const wait = withTimeout(Promise.resolve('now'), 0, clock, () => 'late');
    await settle();
    clock.advance(0);
    await expect(wait).resolves.toBe('now');
    expect(clock.pending).toBe(0);
  });

  it('resolves with undefined on timeout when onTimeout returns nothing', async () => {
    const clock = new ManualClock();
    const wait: Promise<number | undefined> = withTimeout(
      new Promise<number>(() => undefined),
      1,
      clock,
      () => undefined,
    );
    clock.advance(1);
    await expect(wait).resolves.toBeUndefined();
  });

  it('ends early with onTimeout() on abort, clearing its timer and its abort listener', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const onTimeout = jest.fn(() => 'aborted' as const);
    const wait = watch(
      withTimeout(new Promise<never>(() => undefined), 100, clock, onTimeout, {
        signal: controller.signal,
      }),
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await settle();
    expect(wait.done).toBe(false);
    controller.abort();
    await settle();
    expect(wait).toMatchObject({ done: true, value: 'aborted' });
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(clock.pending).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('removes its abort listener when the promise wins', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const wait = withTimeout(Promise.resolve(1), 100, clock, () => 'late', { signal: controller.signal });
    await expect(wait).resolves.toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort();
    expect(clock.pending).toBe(0);
  });

  it('ends at once, with no timer, when the signal is already aborted', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    controller.abort();
    const onTimeout = jest.fn(() => 'aborted');
    await expect(
      withTimeout(Promise.reject(new Error('ignored')), 100, clock, onTimeout, { signal: controller.signal }),
    ).resolves.toBe('aborted');
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(clock.pending).toBe(0);
  });

  it('an abort after the timeout changes nothing', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const onTimeout = jest.fn(() => 'late');
    const wait = withTimeout(new Promise<never>(() => undefined), 10, clock, onTimeout, { signal: controller.signal });
    clock.advance(10);
    await expect(wait).resolves.toBe('late');
    controller.abort();
    await settle();
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it.each<[string, unknown, typeof InvalidOptionTypeError | typeof InvalidOptionRangeError, string]>([
    ['a string', '10', InvalidOptionTypeError, '"10" (string)'],
    ['undefined', undefined, InvalidOptionTypeError, 'undefined'],
    ['NaN', Number.NaN, InvalidOptionRangeError, 'NaN'],
  ])('throws at the call for ms = %s, naming "ms" and the value', (_label, ms, errorClass, shown) => {
    const call = (): unknown => withTimeout(Promise.resolve(), ms as number, new ManualClock(), () => undefined);
    expect(call).toThrow(errorClass);
    expect(call).toThrow('"ms"');
    expect(call).toThrow(shown);
  });

  it('throws at the call when onTimeout is not a function', () => {
    const call = (): unknown => withTimeout(Promise.resolve(), 1, new ManualClock(), 'late' as never);
    expect(call).toThrow(InvalidOptionTypeError);
    expect(call).toThrow('"onTimeout"');
  });
});

describe('withTimeout on the system clock', () => {
  it('times out after about ms of real time and leaves no timer behind', async () => {
    const clock = countingClock(systemClock);
    const started = performance.now();
    const wait = withTimeout(new Promise<never>(() => undefined), 30, clock, () => 'late');
    expect(clock.live).toBe(1);
    const value = await within(wait, 5_000, 'the 30 ms wait');
    const elapsed = performance.now() - started;
    expect(value).toBe('late');
    // Node may fire a timer up to 1 ms early by its own rounding; the upper bound is for a loaded machine.
    expect(elapsed).toBeGreaterThanOrEqual(29);
    expect(elapsed).toBeLessThan(2_000);
    expect(clock.live).toBe(0);
  });

  it('resolves as soon as the promise does and clears its real timer', async () => {
    const clock = countingClock(systemClock);
    const work = deferred<string>();
    const started = performance.now();
    const wait = withTimeout(work.promise, 60_000, clock, () => 'late');
    expect(clock.live).toBe(1);
    work.resolve('done');
    await expect(within(wait, 5_000, 'the wait')).resolves.toBe('done');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(clock.live).toBe(0);
  });
});
