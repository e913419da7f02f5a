// Wiring into @lastcall/lifecycle's coordinator, through its public task() only (no import of
// the lifecycle package: any object with the same task() fits).
import { InvalidOptionTypeError } from '@lastcall/core';

/** The part of `@lastcall/lifecycle`'s `ShutdownCoordinator` that `health.attach()` uses. */
export interface CoordinatorLike {
  /** Registers a named step in a shutdown phase at an order; returns the function that unregisters it. */
  task(
    name: string,
    run: () => unknown,
    options?: { phase?: 'beforeShutdown' | 'servers' | 'onShutdown'; order?: number; timeout?: number },
  ): () => void;
}

/** Order of the readiness flip in `beforeShutdown`: before every other step. */
export const FLIP_ORDER = -Number.MAX_SAFE_INTEGER;
/** Order of the probe servers' close in `onShutdown`: after every other step. */
export const CLOSE_ORDER = Number.MAX_SAFE_INTEGER;

// What is asked of the health is typed structurally: no import of Health.ts, which imports this.
export function attachTo(
  health: { beginShutdown(): void; close(): Promise<void> },
  coordinator: CoordinatorLike,
): () => void {
  const candidate = coordinator as Partial<CoordinatorLike> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.task !== 'function') {
    throw new InvalidOptionTypeError(
      'health.attach',
      'coordinator',
      'a coordinator from createCoordinator()',
      coordinator,
    );
  }
  const undo = [
    coordinator.task('health: readiness 503', () => health.beginShutdown(), {
      phase: 'beforeShutdown',
      order: FLIP_ORDER,
    }),
    coordinator.task('health: close probes', () => health.close(), { phase: 'onShutdown', order: CLOSE_ORDER }),
  ];
  return () => {
    for (const remove of undo) remove();
  };
}
