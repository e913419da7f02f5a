// terminate() of an attached library, timed the same way in every scenario that waits for it.
import type { Attached } from '../adapters/types.js';
import { now, within } from './net.js';

export interface TimedTerminate {
  readonly start: number;
  /** When terminate() resolved; NaN when it did not within the bound. */
  readonly end: number;
  readonly resolved: boolean;
  /** Until it resolved, or until the bound ran out. */
  readonly terminateMs: number;
  /** Set when terminate() rejected. */
  readonly error: string | undefined;
}

/**
 * Calls terminate() and waits for it at most `boundMs` (a library still waiting a second past
 * its own deadline is recorded as unresolved). No library attached: resolves at once.
 */
export async function timeTerminate(attached: Attached | undefined, boundMs: number): Promise<TimedTerminate> {
  const start = now();
  let end = Number.NaN;
  let error: string | undefined;
  const termination =
    attached?.terminate().then(
      () => {
        end = now();
      },
      (caught: unknown) => {
        error = `terminate rejected: ${caught instanceof Error ? caught.message : String(caught)}`;
      },
    ) ?? Promise.resolve();
  await within(termination, boundMs);
  const resolved = !Number.isNaN(end);
  return { start, end, resolved, terminateMs: resolved ? end - start : now() - start, error };
}
