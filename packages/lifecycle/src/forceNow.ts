// Forces a terminator that is already draining, through its own public force strategy.
import { DestroyForce, type DrainContext, type Terminator } from '@lastcall/core';

/**
 * A second signal or the overall deadline must end a drain that is still inside its graceful
 * period. The core has no "force now" call, so this runs the terminator's own force strategy
 * (its public `force`, `registry`, `servers`, `clock`) with a context whose deadline is now.
 * The terminator's pending `terminate()` then resolves as the servers close. A strategy that
 * throws falls back to the default `DestroyForce`, as the terminator itself does.
 */
export function forceNow(terminator: Terminator): Promise<void> {
  const context: DrainContext = {
    registry: terminator.registry,
    servers: terminator.servers,
    clock: terminator.clock,
    deadline: terminator.clock.now(),
    signal: AbortSignal.abort(),
  };
  const fallback = (): void => {
    try {
      new DestroyForce().force(context);
    } catch {
      // Nothing left to try: the coordinator's bounded wait still ends the shutdown.
    }
  };
  try {
    return Promise.resolve(terminator.force.force(context)).then(() => undefined, fallback);
  } catch {
    fallback();
    return Promise.resolve();
  }
}
