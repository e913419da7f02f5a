// Where a registry hears of a tracked server's connections: the listeners `track()` adds to the
// server, and the adoption of what the server already had. What each event means (a record made,
// joined, counted) is the registry's: this file only calls its `RegistrySink`.
import type * as http from 'node:http';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { connectionKindOf, isHttp2Server, speaksHttp1 } from '../servers.js';
import type { ConnectionKind } from '../types.js';
import { onUnseenFinish, responsesInFlight } from './earlyRequests.js';
import { type ConnectionEvents, type Http2Hooks, trackHttp2 } from './http2.js';
import type { ServerTracker } from './ServerTracker.js';
import { peerKey, type TrackedConnection } from './TrackedConnection.js';

const UPGRADE_EVENTS = ['upgrade', 'connect'] as const;
const EXPECT_EVENTS = ['checkContinue', 'checkExpectation'] as const;

/** The registry's side of the server events: one object per registry, made once. */
export interface RegistrySink {
  /** The server accepted a socket (`accepted`), or one it had before is first seen (adopted). */
  add(tracker: ServerTracker, socket: net.Socket, kind: ConnectionKind, accepted: boolean): TrackedConnection;
  /** A TLS handshake finished on a socket of the server. */
  secured(tracker: ServerTracker, tlsSocket: tls.TLSSocket): void;
  /** An HTTP/1 response is in flight on `socket`: tracked from now on (its connection adopted if unseen). */
  responseOpened(tracker: ServerTracker, socket: net.Socket, response: http.ServerResponse): TrackedConnection;
  /** An HTTP/1 request arrived (`request`, or an `Expect:` event the application listens to). */
  request(tracker: ServerTracker, request: http.IncomingMessage, response: http.ServerResponse): void;
  /** An HTTP/1 connection was handed to an `upgrade`/`connect` listener. */
  upgraded(request: http.IncomingMessage): void;
  /** A response that began before the core was loaded ended on `socket`. */
  unseenFinished(tracker: ServerTracker, socket: net.Socket): void;
  /** The registry's `connection`/`close` events, for the HTTP/2 session join. */
  readonly events: ConnectionEvents;
  readonly http2: Http2Hooks;
}

/** Adds every listener the registry needs to the tracker's server (each with its undo on the tracker). */
export function wireServer(tracker: ServerTracker, sink: RegistrySink): void {
  const { server, on } = tracker;
  if (server.listening) adoptEarly(tracker, sink);
  const kind = connectionKindOf(server);
  // Prepended: an http2 server creates its session inside its own connection listener,
  // and the connection must be known before that.
  on(
    'connection',
    (socket: net.Socket) => {
      const connection = sink.add(tracker, socket, kind, true);
      tracker.handshaking?.set(peerKey(socket), connection);
    },
    true,
  );
  if (tracker.handshaking !== undefined) {
    on('secureConnection', (tlsSocket: tls.TLSSocket) => sink.secured(tracker, tlsSocket), true);
    on('tlsClientError', (_error: Error, tlsSocket: tls.TLSSocket) => {
      // A failed handshake: forget the pending join; the raw socket's close removes the record.
      tracker.handshaking?.delete(peerKey(tlsSocket));
    });
  }
  if (speaksHttp1(server)) {
    const onRequest = (request: http.IncomingMessage, response: http.ServerResponse): void =>
      sink.request(tracker, request, response);
    on('request', onRequest, true);
    tracker.mirror(UPGRADE_EVENTS, (request: http.IncomingMessage) => sink.upgraded(request));
    // A request with `Expect:` goes to these events instead of `request` while the
    // application listens to them: without this, its response was never tracked (no
    // `Connection: close`, its keep-alive connection held until the deadline).
    tracker.mirror(EXPECT_EVENTS, onRequest);
  }
  if (isHttp2Server(server)) trackHttp2(server, sink.events, on, tracker.undo, sink.http2);
  tracker.followLifecycle();
}

/**
 * A server that was already serving when tracked: its HTTP/1 responses in flight (remembered by
 * `earlyRequests`) are tracked from now on like any other, their connections adopted, so the
 * drain marks them and sees them go idle. Responses that began before the core was loaded are not
 * remembered: their connections are adopted when they end (`idle`), as long as the server may
 * have unseen connections. The server's own count says how many it had that nothing showed us.
 */
function adoptEarly(tracker: ServerTracker, sink: RegistrySink): void {
  const { server } = tracker;
  let adopted = 0;
  let stopWaiting = (): void => undefined;
  if (speaksHttp1(server)) {
    const before = tracker.count;
    for (const response of responsesInFlight(server)) sink.responseOpened(tracker, response.req.socket, response);
    adopted = tracker.count - before;
    stopWaiting = onUnseenFinish(server, (_response, socket) => sink.unseenFinished(tracker, socket));
    tracker.undo.push(stopWaiting);
  }
  // getConnections() reads the count now and reports it on the next tick.
  server.getConnections((error, count) => {
    // The connections adopted above are tracked: they are not among the unseen.
    tracker.untrackedAtStart = error ? undefined : Math.max(0, count - adopted);
    if (tracker.untrackedAtStart === 0) stopWaiting();
  });
}
