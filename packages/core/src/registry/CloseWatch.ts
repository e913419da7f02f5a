// How the registry learns that a connection closed: before the drain, lazily (`socket.destroyed`,
// checked a few records at a time), and while draining, from each socket's own `close` event.
import type * as net from 'node:net';
import { connectionState, type TrackedConnection } from './TrackedConnection.js';

/** Old records a new connection checks for a closed socket before `watch()`: two keep dead ones bounded. */
const SWEEP_PER_CONNECTION = 2;

/** The connection's sockets are destroyed: their `close` events may still be on their way. */
export function isClosed(connection: TrackedConnection): boolean {
  return connection.socket.destroyed || connectionState.tlsSocketOf(connection)?.destroyed === true;
}

/**
 * Hands closed records to `closed` (which deletes them from `records`). Why lazily before the
 * drain: a `close` listener on every socket grows the socket's own listener array and costs about
 * 200 bytes per idle connection, for an answer needed only while draining.
 */
export class CloseWatch {
  /** Listening for each socket's `close` (from `watch()` on, i.e. while draining). */
  #watching = false;
  /** Where the lazy sweep goes on from (Map iterators are live). */
  #at: Iterator<TrackedConnection> | undefined;
  /** Shared: `this` is the socket, so no closure is allocated per socket. */
  readonly #onClose: (this: net.Socket) => void;

  constructor(
    private readonly records: Map<net.Socket, TrackedConnection>,
    private readonly closed: (connection: TrackedConnection) => void,
    socketClosed: (socket: net.Socket) => void,
  ) {
    this.#onClose = function onSocketClose(this: net.Socket) {
      socketClosed(this);
    };
  }

  get watching(): boolean {
    return this.#watching;
  }

  /** Every closed record. A live walk: a Map iterator goes on correctly past entries deleted under it. */
  sweep(): void {
    for (const connection of this.records.values()) if (isClosed(connection)) this.closed(connection);
  }

  /** A new socket: before `watch()`, a few old records are checked (one new connection's share). */
  added(socket: net.Socket): void {
    if (this.#watching) {
      socket.on('close', this.#onClose);
      return;
    }
    for (let i = 0; i < SWEEP_PER_CONNECTION; i++) {
      let step = this.#at?.next();
      if (step === undefined || step.done) {
        this.#at = this.records.values();
        step = this.#at.next();
        if (step.done) return;
      }
      if (isClosed(step.value)) this.closed(step.value);
    }
  }

  /** A TLS socket joined to a record: followed too while draining. */
  joined(tlsSocket: net.Socket): void {
    if (this.#watching) tlsSocket.on('close', this.#onClose);
  }

  /** From now on, every close is an event (the records of sockets closed already are dropped first). */
  watch(): void {
    if (this.#watching) return;
    // Swept first: the records it drops never got a listener, so there is none to remove.
    this.sweep();
    this.#watching = true;
    for (const connection of this.records.values()) {
      connection.socket.on('close', this.#onClose);
      connectionState.tlsSocketOf(connection)?.on('close', this.#onClose);
    }
  }

  /**
   * The record is dropped: its listeners go. Not from a destroyed socket: its `close` comes once,
   * finds no record, and the socket goes with it; removing the listener from thousands of sockets
   * Node just destroyed (the server's `close`) cost more than anything else in that step.
   */
  forget(socket: net.Socket, tlsSocket: net.Socket | undefined): void {
    if (!this.#watching) return;
    if (!socket.destroyed) socket.removeListener('close', this.#onClose);
    if (tlsSocket !== undefined && !tlsSocket.destroyed) tlsSocket.removeListener('close', this.#onClose);
  }
}
