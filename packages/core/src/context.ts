// The context every strategy is handed, drain and force alike.
import type { Clock } from './clock.js';
import type { RegistryView } from './registry/Connection.js';
import type { ServerLike } from './types.js';

/** What a drain is given when the terminator starts draining, and a force when it forces. */
export interface ShutdownContext {
  /** The connections of every server, as tracked from their events, and the servers' controls. */
  readonly registry: RegistryView;
  /** The servers being terminated. */
  readonly servers: readonly ServerLike[];
  /** The terminator's clock: use it for every timer, so tests can drive it. */
  readonly clock: Clock;
  /** The clock time (`clock.now()`) at which the graceful period ends. `Infinity` for none. */
  readonly deadline: number;
  /** Aborted when the terminator stops draining (all closed, or the deadline came). */
  readonly signal: AbortSignal;
  /**
   * Records a failure in `report.failures` and lets the shutdown go on: for a strategy that
   * runs others (`CombinedDrain`) or that fails later than the call it was given (a timer).
   * `strategy` names who failed in the report (its class name is used).
   */
  reportFailure(error: unknown, strategy?: object): void;
}
