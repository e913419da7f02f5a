// The fixed order of a shutdown: three phases, then the synchronous `finally`.

/**
 * A phase of the shutdown; the three run in this order: `beforeShutdown`, `servers`,
 * `onShutdown`. Every step of a phase (hook, task or terminator) runs in ascending `order`; steps with the same `order` run concurrently; the next phase starts
 * when every step of this one has settled (finished, failed or timed out).
 *
 * - `beforeShutdown`: sockets untouched, listeners still open. Flip readiness, wait for the
 *   load balancer. Skipped in development mode.
 * - `servers`: every registered terminator drains its servers. Terminators share `order` 0 by
 *   default, so they drain together and the phase ends when the last one closed.
 * - `onShutdown`: after the servers drained. Close the database pool, flush queues. The
 *   default phase of `task()`.
 */
export type Phase = 'beforeShutdown' | 'servers' | 'onShutdown';

/** The phases, in the order they run. */
export const PHASES: readonly Phase[] = ['beforeShutdown', 'servers', 'onShutdown'];

export const isPhase = (value: unknown): value is Phase => (PHASES as readonly unknown[]).includes(value);
