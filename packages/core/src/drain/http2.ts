// HTTP/2 for the default drain: GOAWAY to a session, which then closes when its last stream ends.
import type { TrackedConnection } from '../registry/TrackedConnection.js';

/**
 * Sends GOAWAY on the connection's HTTP/2 session: the client opens no new stream, the open
 * ones finish, and Node destroys the session (and ends its socket) when the last one closes;
 * an idle session closes at once. `Http2Session#close()` does all of it on Node 20 and 24
 * alike. Node 24's own `server.close()` also calls it: a second call does nothing.
 * Returns false when the connection carries no session.
 */
export function goAway(connection: TrackedConnection): boolean {
  const { session } = connection;
  if (session === undefined) return false;
  if (!session.closed && !session.destroyed) session.close();
  return true;
}
