// A clock wrapper that counts the timers set through it, so a test can prove none outlives a wait
// (jest cannot see unref'd timers, and lastcall's are unref'd).

/** The shape of lastcall's `Clock`, restated here so the kit imports nothing from the packages. */
export interface ClockLike {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** `base`, counting the timers set through it (`made`) and those not yet fired nor cleared (`live`). */
export function countingClock(base: ClockLike): ClockLike & { readonly live: number; readonly made: number } {
  const live = new Set<unknown>();
  let made = 0;
  return {
    now: () => base.now(),
    setTimeout(callback, ms) {
      made++;
      const handle = base.setTimeout(() => {
        live.delete(handle);
        callback();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle);
      base.clearTimeout(handle);
    },
    get live() {
      return live.size;
    },
    get made() {
      return made;
    },
  };
}
