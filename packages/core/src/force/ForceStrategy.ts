// The force contract: how a terminator ends what is left when the graceful period runs out.
import type { ShutdownContext } from '../context.js';

/** Ends every connection still open at the deadline. Called at most once per terminator. */
export interface ForceStrategy {
  /** Ends what is left. A throw or rejection is recorded in the report, and `DestroyForce` runs instead. */
  force(context: ShutdownContext): void | Promise<void>;
}
