// The primary's entry point: validates the options at the call and makes the ClusterPrimary.
import cluster from 'node:cluster';
import { NotPrimaryError } from './errors.js';
import { type PrimaryOptions, resolvePrimaryConfig } from './options.js';
import { type ClusterPrimary, Primary } from './Primary.js';

/**
 * Makes the primary of a node:cluster service. Nothing is forked until `start()`.
 * @throws InvalidOptionTypeError / InvalidOptionRangeError naming the option and the value.
 * @throws NotPrimaryError in a worker.
 */
export function createPrimary(options: PrimaryOptions = {}): ClusterPrimary {
  const config = resolvePrimaryConfig(options);
  if (!cluster.isPrimary) throw new NotPrimaryError();
  return new Primary(config);
}
