// The default force: destroy every socket that is left, tracked or not.
import type { ShutdownContext } from '../context.js';
import type { Connection } from '../registry/Connection.js';
import { speaksHttp1 } from '../servers.js';
import type { ForceStrategy } from './ForceStrategy.js';

/**
 * Closes any listener a drain left open, destroys every tracked connection, then asks each
 * http server to close the connections lastcall never saw (`closeAllConnections()`).
 */
export class DestroyForce implements ForceStrategy {
  force(context: ShutdownContext): void {
    forceEach(context, (connection) => connection.destroy());
  }
}

/**
 * What both forces do, with how one tracked connection ends given: a force differs from
 * another by that alone, so it is a function passed in, not a method to override.
 */
export function forceEach(context: ShutdownContext, end: (connection: Connection) => void): void {
  for (const server of context.servers) context.registry.closeServer(server);
  for (const connection of [...context.registry.connections()]) end(connection);
  // An http2 secure server has `closeIdleConnections` (allowHTTP1) but no `closeAllConnections`.
  for (const server of context.servers) if (speaksHttp1(server)) server.closeAllConnections?.();
}
