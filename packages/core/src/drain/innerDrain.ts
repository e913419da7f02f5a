// The `drain` option of the listener delays (ListenerDelayDrain, DelayedCloseDrain): what begins
// once the listener has closed. Internal: not exported from the package index.
import { InvalidOptionTypeError } from '../errors.js';
import { combineDrains } from './CombinedDrain.js';
import type { DrainStrategy } from './DrainStrategy.js';
import { KeepAliveDrain } from './KeepAliveDrain.js';

/** The inner drain option: a drain, several (combined in order), or nothing for a `KeepAliveDrain`. */
export function innerDrain(where: string, option: DrainStrategy | readonly DrainStrategy[] | undefined): DrainStrategy {
  if (option === undefined) return new KeepAliveDrain();
  if (Array.isArray(option)) {
    try {
      return combineDrains(...option);
    } catch (error) {
      throw new InvalidOptionTypeError(where, 'drain', 'a drain or a non-empty array of drains', option, {
        cause: error,
      });
    }
  }
  if (typeof (option as Partial<DrainStrategy>).begin !== 'function') {
    throw new InvalidOptionTypeError(where, 'drain', 'a drain or a non-empty array of drains', option);
  }
  return option as DrainStrategy;
}
