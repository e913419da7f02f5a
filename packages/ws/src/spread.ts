// Spreads the endings of long-lived connections over a window: one random instant per client in
// its own slice of the window, fired by one timer on the terminator's clock.
import type { Clock } from '@lastcall/core';

/** The plan of closes made when a drain begins; cancelled when the drain is disposed. */
export interface CloseSchedule {
  /** Clears the timer: the closes not yet due are not made. */
  cancel(): void;
}

/**
 * How late (ms) a timer may fire and still have the closes due meanwhile made at once. Node's
 * timers run a few ms late on a busy loop: that much is caught up. A loop blocked for longer
 * (hundreds of ms on a loaded machine) would otherwise release every close due during the block
 * in one turn, the very bunch the spread is there to prevent; the plan moves later instead.
 */
const CATCH_UP = 10;

/**
 * Calls `close` once for each item, at `offset` milliseconds from now, where item `i` of `n`
 * gets a uniformly random offset in `[i, i + 1) * window / n`. Why slices and not one random
 * instant each over the whole window: n independent instants bunch up (the busiest 100 ms of
 * 2,000 uniform draws holds noticeably more than its share), while one per slice keeps the rate
 * even at `n / window` and still gives every client a different, unpredictable instant.
 * A `window` of 0 closes everything now, in this turn.
 *
 * A timer that fires more than CATCH_UP ms late moves the rest of the plan later by the excess,
 * so the rate stays `n / window` after a blocked event loop, as long as the last close still
 * comes by `latest` ms from now (a `latest` not above `window` leaves no room: a late timer then
 * catches up at once, as it must to keep the time the caller reserved after `latest`).
 */
export function planCloses<T>(
  items: readonly T[],
  window: number,
  latest: number,
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
  // How far the plan has moved later, at most `slack` in all.
  const slack = Math.max(0, latest - window);
  let shift = 0;
  let next = 0;
  let timer: unknown;
  let cancelled = false;
  const fire = (): void => {
    timer = undefined;
    let elapsed = clock.now() - start - shift;
    const late = elapsed - (due[next]?.at ?? elapsed) - CATCH_UP;
    if (late > 0) {
      const moved = Math.min(late, slack - shift);
      shift += moved;
      elapsed -= moved;
    }
    // Every close that is due now (in the moved plan), in one turn.
    for (let entry = due[next]; entry !== undefined && entry.at <= elapsed; entry = due[next]) {
      next += 1;
      close(entry.item);
    }
    arm();
  };
  const arm = (): void => {
    const entry = due[next];
    if (cancelled || entry === undefined) return;
    const wait = Math.max(0, entry.at - (clock.now() - start - shift));
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
