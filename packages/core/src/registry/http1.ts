// HTTP/1 exchanges for the registry: each response in flight is counted on its connection (one
// the server had before it was tracked is adopted then), and its `close` may make it idle again.
import type { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type * as net from 'node:net';
import { connectionKindOf } from '../servers.js';
import type { ConnectionKind } from '../types.js';
import type { Counters } from './counters.js';
import type { SocketRegistryEvents } from './events.js';
import type { ServerTracker } from './ServerTracker.js';
import { connectionState, type TrackedConnection } from './TrackedConnection.js';
import type { RegistrySink } from './wiring.js';

/** What the handlers need of the registry's records. */
export interface RecordAccess {
  lookup(socket: net.Socket): TrackedConnection | undefined;
  add(tracker: ServerTracker, socket: net.Socket, kind: ConnectionKind, accepted: boolean): TrackedConnection;
  readonly counts: Counters;
  /** The clock's time (`Clock.now()`). */
  now(): number;
}

export type Http1Handlers = Pick<RegistrySink, 'request' | 'responseOpened' | 'upgraded' | 'unseenFinished'> & {
  /** The one `close` listener of every tracked response: `this` is the response, no closure per request. */
  readonly onResponseClose: (this: http.ServerResponse) => void;
};

export function http1Handlers(records: RecordAccess, registry: EventEmitter<SocketRegistryEvents>): Http1Handlers {
  const { counts } = records;
  /** A connection the server had before it was tracked, first seen through a request. */
  const adopt = (tracker: ServerTracker, socket: net.Socket): TrackedConnection =>
    records.add(tracker, socket, connectionKindOf(tracker.server) === 'tls' ? 'tls' : 'http1', false);
  const onResponseClose = function onResponseClose(this: http.ServerResponse): void {
    const connection = records.lookup(this.req.socket);
    if (connection === undefined) return;
    if (!connectionState.removeResponse(connection, this, records.now())) return;
    counts.responseClosed(this.writableFinished);
    if (connection.idle) registry.emit('idle', connection);
  };
  const responseOpened = (
    tracker: ServerTracker,
    socket: net.Socket,
    response: http.ServerResponse,
  ): TrackedConnection => {
    const connection = records.lookup(socket) ?? adopt(tracker, socket);
    connectionState.addResponse(connection, response);
    response.on('close', onResponseClose);
    counts.requestOpened();
    return connection;
  };
  return {
    onResponseClose,
    responseOpened,
    request: (tracker, request, response) => {
      // An http2 server with allowHTTP1 also emits `request` for HTTP/2 streams (compat API):
      // those are tracked as streams, not here.
      if (!(response instanceof http.ServerResponse)) return;
      registry.emit('request', responseOpened(tracker, request.socket, response), request, response);
    },
    upgraded: (request) => {
      const connection = records.lookup(request.socket);
      if (connection === undefined || connection.kind === 'upgraded') return;
      connectionState.setKind(connection, 'upgraded');
      counts.upgraded++;
      registry.emit('upgrade', connection);
    },
    unseenFinished: (tracker, socket) => {
      // A response that began before the core was loaded ended: its connection is now known, and idle.
      if (!socket.destroyed && records.lookup(socket) === undefined) registry.emit('idle', adopt(tracker, socket));
    },
  };
}
