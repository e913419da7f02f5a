// The entry point: validates the options and makes the process's shutdown coordinator.
import { type CoordinatorOptions, resolveConfig } from './options.js';
import { Coordinator, type ShutdownCoordinator } from './ShutdownCoordinator.js';

/**
 * Makes the shutdown coordinator of this process and starts listening to its signals (and,
 * with `shutdownOnUncaught`, to `uncaughtException` / `unhandledRejection`).
 *
 * ```ts
 * const shutdown = createCoordinator({ deadline: 20_000 });
 * shutdown.add(createTerminator({ server }), { name: 'api' });
 * shutdown.task('db', () => pool.end());
 * ```
 *
 * @throws TypeError / RangeError naming the option and the value when an option is invalid.
 * @throws CoordinatorActiveError when the process already has a coordinator that is not disposed.
 */
export function createCoordinator(options: CoordinatorOptions = {}): ShutdownCoordinator {
  return new Coordinator(resolveConfig(options));
}
