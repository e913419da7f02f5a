// The listener delay's last step, apart from the drain that takes it: after the delay's end,
// wait until the accept queue is quiet, then close the listener right after a poll for I/O.
// Internal: not exported from the package index.
import type { Clock } from '../clock.js';

/**
 * After the delay's end, the listener closes once no connection has arrived (and no client we
 * asked to reconnect has been let go) for this long, in milliseconds: a client that got
 * `Connection: close` reconnects within a round trip, and closing the listener while its
 * connection sits in the accept queue resets it.
 */
const QUIET_TIME = 10;
/**
 * Longest wait for that quiet, in milliseconds (within the deadline): under a steady stream of
 * new connections (clients that never keep alive, a probe) it never comes, and the listener
 * closes anyway, right after a poll for I/O has emptied the accept queue.
 */
const MAX_QUIET_WAIT = 200;

/** What the wait reads from and reports to the drain that runs it. */
export interface QuietWait {
  readonly clock: Clock;
  /** When the delay ended (`clock.now()`): the wait lasts at most `MAX_QUIET_WAIT` from there. */
  readonly endedAt: number;
  /** The graceful deadline (`clock.now()` time): the wait never lasts past it. */
  readonly deadline: number;
  /** The last arrival (an accepted connection, or a prompted one let go): read on every step. */
  lastArrival(): number;
  /** The pending timer (`undefined` once it fired), so that the drain can clear it. */
  setTimer(timer: unknown): void;
  /** Closes the listener: called once, from a timer. */
  close(): void;
}

/** Waits for a quiet accept queue (or for the bound), then calls `close()` right after a poll for I/O. */
export function waitForQuiet(wait: QuietWait): void {
  const { clock } = wait;
  const now = clock.now();
  const quietAt = wait.lastArrival() + QUIET_TIME;
  const latest = Math.min(wait.endedAt + MAX_QUIET_WAIT, wait.deadline);
  if (now >= quietAt || now >= latest) {
    // From a timer: the loop polls for I/O before the next timer turn, so the close below
    // comes right after the accept queue was emptied, not after a busy turn let it fill.
    // That poll may also have accepted a connection, or let go of one whose client will
    // reconnect (a stalled loop hides both until then): the quiet is then looked for again.
    const decidedAt = now;
    wait.setTimer(
      clock.setTimeout(() => {
        wait.setTimer(undefined);
        if (wait.lastArrival() >= decidedAt && clock.now() < latest) waitForQuiet(wait);
        else wait.close();
      }, 0),
    );
    return;
  }
  wait.setTimer(
    clock.setTimeout(() => {
      wait.setTimer(undefined);
      waitForQuiet(wait);
    }, Math.min(quietAt, latest) - now),
  );
}
