// Spreads the endings of long-lived connections over a window: one random instant per client in
// its own slice of the window, fired by one timer on the terminator's clock.
import type { Clock } from '@lastcall/core';

/** The plan of closes made when a drain begins; cancelled when the drain is disposed. */
export interface CloseSchedule {
  /** Clears the timer: the closes not yet due are not made. */
  cancel(): void;
}

/**
 * Calls `close` once for each item, at `offset` milliseconds from now, where item `i` of `n`
 * gets a uniformly random offset in `[i, i + 1) * window / n`. Why slices and not one random
 * instant each over the whole window: n independent instants bunch up (the busiest 100 ms of
 * 2,000 uniform draws holds noticeably more than its share), while one per slice keeps the rate
 * even at `n / window` and still gives every client a different, unpredictable instant.
 * A `window` of 0 closes everything now, in this turn.
 */
export function planCloses<T>(
  items: readonly T[],
  window: number,
  clock: Clock,
  close: (item: T) => void,
  random: () => number = Math.random,
): CloseSchedule {
  if (window <= 0 || items.length === 0) {
    for (const item of items) close(item);
    return { cancel: () => undefined };
  }
  const slice = window / items.length;
  // Offsets grow with the index, so the items are due in order.
  const due = items.map((item, index) => ({ item, at: (index + random()) * slice }));
  const start = clock.now();
  let next = 0;
  let timer: unknown;
  let cancelled = false;
  const fire = (): void => {
    timer = undefined;
    const elapsed = clock.now() - start;
    // Every close that is due now, in one turn: a timer that ran late catches up at once.
    for (let entry = due[next]; entry !== undefined && entry.at <= elapsed; entry = due[next]) {
      next += 1;
      close(entry.item);
    }
    arm();
  };
  const arm = (): void => {
    const entry = due[next];
    if (cancelled || entry === undefined) return;
    const wait = Math.max(0, entry.at - (clock.now() - start));
    timer = clock.setTimeout(fire, wait);
  };
  arm();
  return {
    cancel: () => {
      cancelled = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
