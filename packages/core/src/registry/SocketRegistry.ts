// Tracks every connection of one or more servers from public events only, and says when they are gone.
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { type Clock, systemClock } from '../clock.js';
import { ServerControls } from '../ServerControls.js';
import { isTlsServer } from '../servers.js';
import type { ConnectionKind, ServerLike } from '../types.js';
import { CloseWatch } from './CloseWatch.js';
import type { RegistryView } from './Connection.js';
import { Counters, type RegistryCounters, settleClosed } from './counters.js';
import type { SocketRegistryEvents } from './events.js';
import { http1Handlers } from './http1.js';
import { http2Hooks } from './http2.js';
import { ServerTracker } from './ServerTracker.js';
import { connectionState, peerKey, TrackedConnection } from './TrackedConnection.js';
import { registryView } from './view.js';
import { type RegistrySink, wireServer } from './wiring.js';

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
  /** Learns of closed connections: lazily before `watch()`, from each socket's `close` after. */
  readonly #closes = new CloseWatch(
    this.#connections,
    (connection) => this.#remove(connection, true),
    (socket) => this.#socketClosed(socket),
  );
  #size = 0;
  #view: RegistryView | undefined;
  readonly #counts = new Counters();
  readonly #http1 = http1Handlers(
    {
      lookup: (socket) => this.#lookup(socket),
      add: (tracker, socket, kind, accepted) => this.#add(tracker, socket, kind, accepted),
      counts: this.#counts,
      // Read when called: the constructor's `clock` is assigned after the fields.
      now: () => this.clock.now(),
    },
    this,
  );
  /** What the server listeners (`wireServer`) call, bound once. */
  readonly #sink: RegistrySink = {
    ...this.#http1,
    add: (tracker, socket, kind, accepted) => this.#add(tracker, socket, kind, accepted),
    secured: (tracker, tlsSocket) => this.#secured(tracker, tlsSocket),
    events: this,
    http2: http2Hooks(this.#counts, this),
  };

  /** What strategies may do to the tracked servers (the `RegistryView`'s controls). */
  readonly controls = new ServerControls(
    (server) => this.#servers.get(server),
    (server) => this.connections(server),
  );

  /**
   * @param clock stamps the time each connection went idle; the terminator's clock, so a
   * drain compares those stamps with the time it reads from the same clock.
   */
  constructor(readonly clock: Pick<Clock, 'now'> = systemClock) {
    super();
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
    const tracker = new ServerTracker(server, isTlsServer(server), this.#serverClosed);
    this.#servers.set(server, tracker);
    wireServer(tracker, this.#sink);
  }

  /** The registry's part of a tracked server's `close` event (the tracker has marked it closed). */
  readonly #serverClosed = (tracker: ServerTracker): void => {
    // Node emits `close` once every connection of the server is destroyed. Their own socket
    // `close` events come later (after each handle closes): settle the ones with nothing in
    // flight now rather than wait for thousands of events. A response or stream still in
    // flight waits for its own `close`, which tells whether it was sent in full (over TLS
    // `writableFinished` can still be false here for a response that completes).
    const open = this.#size;
    // A live walk (a Map iterator goes on correctly past entries deleted under it): no copy of
    // thousands of records.
    for (const connection of this.connections(tracker.server)) {
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
    this.#view ??= registryView(this, this.controls);
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
   * keeps dead records to about as many as live ones.
   */
  watch(): void {
    this.#closes.watch();
  }

  /** Forgets every connection whose sockets are destroyed (their `close` may still be on its way). */
  sweep(): void {
    this.#closes.sweep();
  }

  /** `accepted`: seen through the server's `connection` event, not adopted later. */
  #add(tracker: ServerTracker, socket: net.Socket, kind: ConnectionKind, accepted: boolean): TrackedConnection {
    this.#closes.added(socket);
    const connection = new TrackedConnection(tracker.server, socket, kind, this.clock.now());
    this.#connections.set(socket, connection);
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
    this.#closes.joined(tlsSocket);
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
      this.#closes.forget(socket, undefined);
      const tracker = this.#servers.get(connection.server);
      if (tracker) tracker.count--;
      this.#removed(connection, notify);
      return;
    }
    const tlsSocket = connectionState.tlsSocketOf(connection);
    this.#connections.delete(socket);
    if (tlsSocket) this.#byTlsSocket.delete(tlsSocket);
    this.#closes.forget(socket, tlsSocket);
    settleClosed(connection, this.#counts, this.#http1.onResponseClose);
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
