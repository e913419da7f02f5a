// Request handlers that misbehave on purpose, for the tests of what a shutdown does with them.
import type { Handler } from './servers';
import { type Deferred, deferred } from './signals';

/**
 * A handler that never answers, and a deferred it resolves when a request reaches it: the
 * request is then in flight for as long as the test wants, until a force ends it.
 */
export function neverAnswers(): { handler: Handler; arrived: Deferred } {
  const arrived = deferred();
  return { handler: () => arrived.resolve(), arrived };
}
