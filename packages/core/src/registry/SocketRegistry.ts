// Tracks every connection of one or more servers from public events only, and says when they are gone.
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { type Clock, systemClock } from '../clock.js';
import { ServerControls } from '../ServerControls.js';
import { connectionKindOf, isHttp2Server, isTlsServer, speaksHttp1 } from '../servers.js';
import type { ConnectionKind, ServerLike } from '../types.js';
import type { Connection, RegistryView } from './Connection.js';
import { Counters, type RegistryCounters } from './counters.js';
import { onUnseenFinish, responsesInFlight } from './earlyRequests.js';
import { type Http2Hooks, trackHttp2 } from './http2.js';
import { ServerTracker } from './ServerTracker.js';
import { connectionState, peerKey, TrackedConnection } from './TrackedConnection.js';

/** Events of a registry. Each is emitted synchronously from the Node event that caused it. */
export interface SocketRegistryEvents {
  /** A connection was accepted (not emitted for connections adopted after they were open). */
  connection: [connection: TrackedConnection];
  /** An HTTP/1 request arrived; emitted before the server's own `request` listeners run. */
  request: [connection: TrackedConnection, request: http.IncomingMessage, response: http.ServerResponse];
  /** A connection's last request in flight ended. */
  idle: [connection: TrackedConnection];
  /**
   * A connection closed; it is no longer tracked. Emitted at once while draining (after
   * `watch()`), and lazily before (when a sweep finds the socket destroyed).
   */
  close: [connection: TrackedConnection];
  /** An HTTP/1 connection was handed to an `upgrade` or `connect` listener. */
  upgrade: [connection: TrackedConnection];
  /** An HTTP/2 session was established on a connection (`connection.session` is set). */
  session: [connection: TrackedConnection];
  /**
   * Every tracked server has emitted `close` and no connection is left: emitted from the event
   * that made it so, so a waiter can finish in the same turn.
   */
  drained: [];
}

const UPGRADE_EVENTS = ['upgrade', 'connect'] as const;

/** Old records a new connection checks for a closed socket before `watch()`: two keep dead ones bounded. */
const SWEEP_PER_CONNECTION = 2;
const EXPECT_EVENTS = ['checkContinue', 'checkExpectation'] as const;

/**
 * The registry of one terminator. It adds listeners to the servers it tracks and removes
 * them all on `untrack`/`dispose`; it replaces nothing. Hot path (every request): one array
 * push, one listener, one map lookup; no closure is made per request.
 */
export class SocketRegistry extends EventEmitter<SocketRegistryEvents> {
  /** One entry per connection, by the socket its record was made with (so `values()` lists each once). */
  readonly #connections = new Map<net.Socket, TrackedConnection>();
  /** TLS sockets joined to a record made with their raw socket: requests arrive on the TLS one. */
  readonly #byTlsSocket = new Map<net.Socket, TrackedConnection>();
  readonly #servers = new Map<ServerLike, ServerTracker>();
  readonly #emptyWaiters: Array<() => void> = [];
  /** Listening for each socket's `close` (from `watch()` on, i.e. while draining). */
  #watching = false;
  /** Where the lazy sweep of closed connections goes on from (Map iterators are live). */
  #sweeper: Iterator<TrackedConnection> | undefined;
  #size = 0;
  #view: RegistryView | undefined;
  readonly #counts = new Counters();
  readonly #http2Hooks: Http2Hooks = {
    sessionJoined: (connection) => {
      this.#counts.sessions++;
      this.emit('session', connection);
    },
    streamOpened: (connection) => {
      connectionState.addStreams(connection, 1);
      this.#counts.streamOpened();
    },
    streamClosed: (connection, completed) => {
      // Zero once the connection was removed: its streams were settled then.
      if (connection.openStreams === 0) return;
      connectionState.addStreams(connection, -1);
      this.#counts.streamClosed(completed);
      if (connection.idle) this.emit('idle', connection);
    },
  };

  /** What strategies may do to the tracked servers (the `RegistryView`'s controls). */
  readonly controls = new ServerControls(
    (server) => this.#servers.get(server),
    (server) => this.connections(server),
  );

  // Shared listeners: `this` is the emitter, so no closure is allocated per socket or response.
  readonly #onSocketClose: (this: net.Socket) => void;
  readonly #onResponseClose: (this: http.ServerResponse) => void;

  /**
   * @param clock stamps the time each connection went idle; the terminator's clock, so a
   * drain compares those stamps with the time it reads from the same clock.
   */
  constructor(readonly clock: Pick<Clock, 'now'> = systemClock) {
    super();
    const registry = this;
    this.#onSocketClose = function onSocketClose(this: net.Socket) {
      registry.#socketClosed(this);
    };
    this.#onResponseClose = function onResponseClose(this: http.ServerResponse) {
      registry.#responseClosed(this);
    };
  }

  /** Connections being tracked. */
  get size(): number {
    return this.#size;
  }

  /** HTTP/1 responses not yet closed, plus open HTTP/2 streams, across every connection. */
  get inFlight(): number {
    return this.#counts.inFlight;
  }

  /** The servers being tracked, in the order they were added. */
  get servers(): ServerLike[] {
    return [...this.#servers.keys()];
  }

  counters(): RegistryCounters {
    return this.#counts.snapshot();
  }

  /** Every tracked connection (each once, even a TLS connection known by two sockets). */
  connections(server?: ServerLike): IterableIterator<TrackedConnection> {
    // values(), not entries(): no [key, value] array is allocated per connection per walk.
    // Unfiltered (every server, or the only one): the map's own iterator, with no generator
    // frame resumed per connection; a shutdown walks them several times.
    if (server === undefined || (this.#servers.size === 1 && this.#servers.has(server))) {
      return this.#connections.values();
    }
    return this.#ofServer(server);
  }

  *#ofServer(server: ServerLike): IterableIterator<TrackedConnection> {
    for (const connection of this.#connections.values()) if (connection.server === server) yield connection;
  }

  /**
   * True when the server may have connections the registry has not seen: it was already
   * serving when tracking began, and it had (or may have had) connections then.
   */
  mayHaveUntracked(server: ServerLike): boolean {
    return this.#servers.get(server)?.untrackedAtStart !== 0;
  }

  /** Resolves when no tracked connection is left. Event-driven: nothing polls. */
  whenEmpty(): Promise<void> {
    if (this.#size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  /**
   * Starts tracking a server. Connections it already had are not seen until they send a
   * request; what stays unseen is reached through the server's own public methods.
   */
  track(server: ServerLike): void {
    if (this.#servers.has(server)) return;
    const tlsServer = isTlsServer(server);
    const tracker = new ServerTracker(server, tlsServer, this.#serverClosed);
    this.#servers.set(server, tracker);
    if (server.listening) {
      const early = this.#adoptEarly(tracker);
      // getConnections() reads the count now and reports it on the next tick.
      server.getConnections((error, count) => {
        // The connections adopted above are tracked: they are not among the unseen.
        tracker.untrackedAtStart = error ? undefined : Math.max(0, count - early.adopted);
        if (tracker.untrackedAtStart === 0) early.stopWaiting();
      });
    }
    const { on } = tracker;

    const kind: ConnectionKind = connectionKindOf(server);
    // Prepended: an http2 server creates its session inside its own connection listener,
    // and the connection must be known before that.
    on(
      'connection',
      (socket: net.Socket) => {
        const connection = this.#add(tracker, socket, kind, true);
        if (tracker.handshaking) tracker.handshaking.set(peerKey(socket), connection);
      },
      true,
    );
    if (tlsServer) {
      on('secureConnection', (tlsSocket: tls.TLSSocket) => this.#secured(tracker, tlsSocket), true);
      on('tlsClientError', (_error: Error, tlsSocket: tls.TLSSocket) => {
        // A failed handshake: forget the pending join; the raw socket's close removes the record.
        tracker.handshaking?.delete(peerKey(tlsSocket));
      });
    }
    if (speaksHttp1(server)) {
      on(
        'request',
        (request: http.IncomingMessage, response: http.ServerResponse) => this.#request(tracker, request, response),
        true,
      );
      this.#trackUpgrades(tracker);
      // A request with `Expect:` goes to these events instead of `request` while the
      // application listens to them: without this, its response was never tracked (no
      // `Connection: close`, its keep-alive connection held until the deadline).
      tracker.mirror(EXPECT_EVENTS, (request: http.IncomingMessage, response: http.ServerResponse) =>
        this.#request(tracker, request, response),
      );
    }
    if (isHttp2Server(server)) trackHttp2(server, this, on, tracker.undo, this.#http2Hooks);
    tracker.followLifecycle();
  }

  /** The registry's part of a tracked server's `close` event (the tracker has marked it closed). */
  readonly #serverClosed = (tracker: ServerTracker): void => {
    // Node emits `close` once every connection of the server is destroyed. Their own socket
    // `close` events come later (after each handle closes): settle the ones with nothing in
    // flight now rather than wait for thousands of events. A response or stream still in
    // flight waits for its own `close`, which tells whether it was sent in full (over TLS
    // `writableFinished` can still be false here for a response that completes).
    const open = this.#size;
    for (const connection of [...this.connections(tracker.server)]) {
      if (connection.responses.length === 0 && connection.openStreams === 0) this.#remove(connection, true);
    }
    // A removal above that emptied the registry has said so already.
    if (open === 0) this.#emitIfDrained();
  };

  /** Stops tracking a server: every listener the registry added to it is removed. */
  untrack(server: ServerLike): void {
    const tracker = this.#servers.get(server);
    if (!tracker) return;
    tracker.dispose();
    this.#servers.delete(server);
    for (const connection of [...this.connections(server)]) this.#remove(connection, false);
  }

  /** Stops tracking everything. The connections themselves are left as they are. */
  dispose(): void {
    for (const server of [...this.#servers.keys()]) this.untrack(server);
    this.removeAllListeners();
  }

  /**
   * What strategies are handed: a frozen object of the registry's read-only parts and server
   * controls (`ServerControls`). Made once; `watch`, `untrack`, `dispose`, `track` and the events are not on it.
   */
  get view(): RegistryView {
    if (this.#view === undefined) {
      const registry = this;
      const controls = this.controls;
      this.#view = Object.freeze({
        get size() {
          return registry.size;
        },
        get inFlight() {
          return registry.inFlight;
        },
        connections: (server?: ServerLike): IterableIterator<Connection> => registry.connections(server),
        mayHaveUntracked: (server: ServerLike) => registry.mayHaveUntracked(server),
        stopAccepting: (server: ServerLike) => controls.stopAccepting(server),
        closeIdle: (server: ServerLike) => controls.closeIdle(server),
        closeServer: (server: ServerLike) => controls.closeServer(server),
        isClosed: (server: ServerLike) => controls.isClosed(server),
      });
    }
    return this.#view;
  }

  /** True when the server never listened while tracked (nor before: it was not listening then). */
  neverListened(server: ServerLike): boolean {
    const tracker = this.#servers.get(server);
    return tracker !== undefined && !tracker.everListened && !server.listening;
  }

  /**
   * Resolves when the server has emitted `close`: its listener is closed and every connection
   * it had (tracked or not) is gone. A server that is not listening and that lastcall did not
   * stop resolves once it has no connection left.
   */
  whenServerClosed(server: ServerLike): Promise<void> {
    return this.#servers.get(server)?.whenClosed() ?? Promise.resolve();
  }

  /**
   * From now on, learn of every connection's close from its socket's `close` event, at once
   * (the terminator calls this when draining begins). Before that, a closed connection is
   * forgotten lazily: each new connection checks two old records (`socket.destroyed`), which
   * keeps dead records to about as many as live ones. Why: a `close` listener on every socket
   * grows the socket's own listener array and costs about 200 bytes per idle connection, for
   * an answer needed only while draining.
   */
  watch(): void {
    if (this.#watching) return;
    // Swept first: the records it drops never got a listener, so there is none to remove.
    this.sweep();
    this.#watching = true;
    for (const connection of this.connections()) {
      connection.socket.on('close', this.#onSocketClose);
      connectionState.tlsSocketOf(connection)?.on('close', this.#onSocketClose);
    }
  }

  /** Forgets every connection whose sockets are destroyed (their `close` may still be on its way). */
  sweep(): void {
    // A live walk: a Map iterator goes on correctly past entries deleted under it.
    for (const connection of this.#connections.values()) if (isClosed(connection)) this.#remove(connection, true);
  }

  /** Forgets up to `count` closed connections, going on from where the last sweep stopped. */
  #sweep(count: number): void {
    for (let i = 0; i < count; i++) {
      let step = this.#sweeper?.next();
      if (step === undefined || step.done) {
        this.#sweeper = this.#connections.values();
        step = this.#sweeper.next();
        if (step.done) return;
      }
      if (isClosed(step.value)) this.#remove(step.value, true);
    }
  }

  /** `accepted`: seen through the server's `connection` event, not adopted later. */
  #add(tracker: ServerTracker, socket: net.Socket, kind: ConnectionKind, accepted: boolean): TrackedConnection {
    if (!this.#watching) this.#sweep(SWEEP_PER_CONNECTION);
    const connection = new TrackedConnection(tracker.server, socket, kind, this.clock.now());
    this.#connections.set(socket, connection);
    if (this.#watching) socket.on('close', this.#onSocketClose);
    tracker.count++;
    this.#size++;
    if (accepted) {
      this.#counts.accepted++;
      this.emit('connection', connection);
    }
    return connection;
  }

  #secured(tracker: ServerTracker, tlsSocket: tls.TLSSocket): void {
    const key = peerKey(tlsSocket);
    const connection = tracker.handshaking?.get(key);
    if (connection === undefined) {
      // Its raw socket was accepted before the server was tracked.
      this.#add(tracker, tlsSocket, 'tls', false);
      return;
    }
    tracker.handshaking?.delete(key);
    connectionState.setTlsSocket(connection, tlsSocket);
    this.#byTlsSocket.set(tlsSocket, connection);
    if (this.#watching) tlsSocket.on('close', this.#onSocketClose);
  }

  #request(tracker: ServerTracker, request: http.IncomingMessage, response: http.ServerResponse): void {
    // An http2 server with allowHTTP1 also emits `request` for HTTP/2 streams (compat API):
    // those are tracked as streams, not here.
    if (!(response instanceof http.ServerResponse)) return;
    const socket = request.socket;
    const connection = this.#lookup(socket) ?? this.#adopt(tracker, socket);
    connectionState.addResponse(connection, response);
    response.on('close', this.#onResponseClose);
    this.#counts.requestOpened();
    this.emit('request', connection, request, response);
  }

  /**
   * A terminator made after requests began (at signal time): the server's HTTP/1 responses in
   * flight (remembered by `earlyRequests`) are tracked from now on like any other, their
   * connections adopted, so the drain marks them and sees them go idle. Responses that began
   * before the core was loaded are not remembered: their connections are adopted when they end
   * (`idle`), as long as the server may have unseen connections.
   */
  #adoptEarly(tracker: ServerTracker): { adopted: number; stopWaiting: () => void } {
    const { server } = tracker;
    if (!speaksHttp1(server)) return { adopted: 0, stopWaiting: () => undefined };
    const before = tracker.count;
    for (const response of responsesInFlight(server)) {
      const connection = this.#lookup(response.req.socket) ?? this.#adopt(tracker, response.req.socket);
      connectionState.addResponse(connection, response);
      response.on('close', this.#onResponseClose);
      this.#counts.requestOpened();
    }
    const stopWaiting = onUnseenFinish(server, (_response, socket) => this.#unseenFinished(tracker, socket));
    tracker.undo.push(stopWaiting);
    return { adopted: tracker.count - before, stopWaiting };
  }

  /** A response that began before the core was loaded ended: its connection is now known, and idle. */
  #unseenFinished(tracker: ServerTracker, socket: net.Socket): void {
    if (socket.destroyed || this.#lookup(socket) !== undefined) return;
    this.emit('idle', this.#adopt(tracker, socket));
  }

  /** A connection the server had before it was tracked, first seen through a request. */
  #adopt(tracker: ServerTracker, socket: net.Socket): TrackedConnection {
    return this.#add(tracker, socket, connectionKindOf(tracker.server) === 'tls' ? 'tls' : 'http1', false);
  }

  #trackUpgrades(tracker: ServerTracker): void {
    const onUpgrade = (request: http.IncomingMessage): void => {
      const connection = this.#lookup(request.socket);
      if (connection === undefined || connection.kind === 'upgraded') return;
      connectionState.setKind(connection, 'upgraded');
      this.#counts.upgraded++;
      this.emit('upgrade', connection);
    };
    tracker.mirror(UPGRADE_EVENTS, onUpgrade);
  }

  #responseClosed(response: http.ServerResponse): void {
    const connection = this.#lookup(response.req.socket);
    if (connection === undefined) return;
    if (!connectionState.removeResponse(connection, response, this.clock.now())) return;
    this.#counts.responseClosed(response.writableFinished);
    if (connection.idle) this.emit('idle', connection);
  }

  /** The record of a raw socket, or of the TLS socket over it. */
  #lookup(socket: net.Socket): TrackedConnection | undefined {
    return this.#connections.get(socket) ?? this.#byTlsSocket.get(socket);
  }

  #socketClosed(socket: net.Socket): void {
    const connection = this.#lookup(socket);
    if (connection !== undefined) this.#remove(connection, true);
  }

  #remove(connection: TrackedConnection, notify: boolean): void {
    const { socket } = connection;
    if (connectionState.plainIdle(connection)) {
      // The common case, thousands at a time when idle connections close: one socket, no
      // response, stream or handshake to settle.
      this.#connections.delete(socket);
      if (this.#watching) socket.removeListener('close', this.#onSocketClose);
      const tracker = this.#servers.get(connection.server);
      if (tracker) tracker.count--;
      this.#removed(connection, notify);
      return;
    }
    const tlsSocket = connectionState.tlsSocketOf(connection);
    this.#connections.delete(socket);
    if (tlsSocket) this.#byTlsSocket.delete(tlsSocket);
    // Before watch() no socket got our listener: nothing to remove.
    if (this.#watching) {
      socket.removeListener('close', this.#onSocketClose);
      tlsSocket?.removeListener('close', this.#onSocketClose);
    }
    // Responses still queued behind a closed socket never get their own `close` from Node.
    for (const response of connectionState.takeResponses(connection)) {
      response.removeListener('close', this.#onResponseClose);
      this.#counts.responseClosed(response.writableFinished);
    }
    // Likewise streams whose `close` Node has not emitted yet: they ended with their session.
    for (; connection.openStreams > 0; connectionState.addStreams(connection, -1)) this.#counts.streamClosed(false);
    const tracker = this.#servers.get(connection.server);
    if (tracker) {
      tracker.count--;
      if (connection.handshaking) tracker.handshaking?.delete(peerKey(socket));
    }
    this.#removed(connection, notify);
  }

  #removed(connection: TrackedConnection, notify: boolean): void {
    this.#size--;
    if (notify) this.emit('close', connection);
    if (this.#size === 0) {
      for (const resolve of this.#emptyWaiters.splice(0)) resolve();
      this.#emitIfDrained();
    }
  }

  /** True when every tracked server has emitted `close` and no connection is left. */
  get drained(): boolean {
    if (this.#size !== 0) return false;
    for (const tracker of this.#servers.values()) if (!tracker.closed) return false;
    return true;
  }

  #emitIfDrained(): void {
    if (this.listenerCount('drained') > 0 && this.drained) this.emit('drained');
  }
}

/** The connection's sockets are destroyed: their `close` events may still be on their way. */
function isClosed(connection: TrackedConnection): boolean {
  return connection.socket.destroyed || connectionState.tlsSocketOf(connection)?.destroyed === true;
}
