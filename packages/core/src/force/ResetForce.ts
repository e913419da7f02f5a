// A force that sends TCP RST instead of FIN: the peer learns at once that the request failed.
import type { TrackedConnection } from '../registry/TrackedConnection.js';
import { DestroyForce } from './DestroyForce.js';

/**
 * Ends each connection with `socket.resetAndDestroy()` (TCP RST), so clients and proxies see
 * a reset rather than a clean end they might take for a complete response. Falls back to
 * destroy where the socket is not a TCP socket (a TLS socket lastcall saw only after its
 * handshake).
 */
export class ResetForce extends DestroyForce {
  protected override end(connection: TrackedConnection): void {
    connection.session?.destroy();
    try {
      connection.socket.resetAndDestroy();
    } catch {
      connection.socket.destroy();
    }
    connection.tlsSocket?.destroy();
  }
}
