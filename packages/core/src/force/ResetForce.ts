// A force that sends TCP RST instead of FIN: the peer learns at once that the request failed.
import type { Connection } from '../registry/Connection.js';
import { DestroyForce } from './DestroyForce.js';

/**
 * Ends each connection with a TCP reset (`Connection.reset()`), so clients and proxies see a
 * reset rather than a clean end they might take for a complete response. Falls back to
 * destroy where the socket is not a TCP socket (a TLS socket lastcall saw only after its
 * handshake).
 */
export class ResetForce extends DestroyForce {
  protected override end(connection: Connection): void {
    connection.reset();
  }
}
