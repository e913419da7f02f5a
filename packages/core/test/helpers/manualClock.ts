// A clock a test moves by hand: proves that every deadline goes through the injected clock.
import type { Clock } from '@lastcall/core';

export class ManualClock implements Clock {
  #now = 0;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 0;

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.#timers.set(id, { at: this.#now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward and runs the timers that are due, in order. */
  advance(ms: number): void {
    this.#now += ms;
    const due = [...this.#timers.entries()].filter(([, t]) => t.at <= this.#now).sort((a, b) => a[1].at - b[1].at);
    for (const [id, timer] of due) {
      this.#timers.delete(id);
      timer.callback();
    }
  }
}
