// The report's `runtimeLimits`: what the runtime kept this shutdown from doing as the contract says.
import type { SocketRegistry } from '../registry/SocketRegistry.js';
import type { ServerLike } from '../types.js';
import { noteLimit, PUBLISHES_HTTP_SERVER_CHANNELS, RUNTIME_LIMITS, takeLimits } from './runtime.js';

/** The limits recorded while these servers drained, plus what the runtime could not see before. */
export function runtimeLimitsOf(servers: readonly ServerLike[], registry: SocketRegistry): string[] {
  if (!PUBLISHES_HTTP_SERVER_CHANNELS) {
    // Made while the server was serving: its responses in flight then were not seen.
    for (const server of servers)
      if (registry.mayHaveUntracked(server)) noteLimit(server, RUNTIME_LIMITS.noEarlyRequests);
  }
  return takeLimits(servers);
}
