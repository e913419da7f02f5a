// The force contract: how a terminator ends what is left when the graceful period runs out.
import type { DrainContext } from '../drain/DrainStrategy.js';

/** Ends every connection still open at the deadline. Called at most once per terminator. */
export interface ForceStrategy {
  force(context: DrainContext): void | Promise<void>;
}
