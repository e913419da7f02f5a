// The time bounds tests share: how long a helper waits, how late terminate() may settle, and an
// idle grace long enough that a loaded machine cannot race it.

/**
 * How long a client helper waits by default, in milliseconds: a hang fails the test there, saying
 * what was awaited, instead of at jest's 30 s timeout. A few seconds even on a loaded machine.
 */
export const CLIENT_WAIT_MS = 5_000;

/**
 * How much later than its graceful timeout `terminate()` may settle. The force runs at the
 * deadline and destroyed sockets close within a tick; the rest is room for a loaded 2-core CI
 * machine (timers fire late there), never for a wait of lastcall's own.
 */
export const SETTLE_BOUND_MS = 750;

/**
 * An idle grace far above the default (100 ms), for tests whose request must reach the server
 * after terminate() began on a connection that was idle: with the default, a loaded machine can
 * run the idle close first and the client gets ECONNRESET. It costs no time: a connection ends
 * as soon as its `Connection: close` response is sent, or when its client closes it.
 */
export const PATIENT_GRACE_MS = 2_000;
