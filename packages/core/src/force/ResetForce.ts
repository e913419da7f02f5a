// A force that sends TCP RST instead of FIN: the peer learns at once that the request failed.
import type { ShutdownContext } from '../context.js';
import { forceEach } from './DestroyForce.js';
import type { ForceStrategy } from './ForceStrategy.js';

/**
 * Ends each connection with a TCP reset (`Connection.reset()`), so clients and proxies see a
 * reset rather than a clean end they might take for a complete response. Falls back to
 * destroy where the socket is not a TCP socket (a TLS socket lastcall saw only after its
 * handshake). Otherwise what `DestroyForce` does.
 */
export class ResetForce implements ForceStrategy {
  force(context: ShutdownContext): void {
    forceEach(context, (connection) => connection.reset());
  }
}
