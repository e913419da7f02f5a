// One tracked server's facts for the registry: whether lastcall stopped or closed it (set by
// ServerControls), its `close`/`listening` events, and every listener the registry added to it.
import type { EventEmitter } from 'node:events';
import { closeTracked, releaseConnectionsChecker, type ServerState } from '../ServerControls.js';
import type { ServerLike } from '../types.js';
import type { TrackedConnection } from './TrackedConnection.js';

/** Node's own listener type (its parameters are `any[]`). */
type Listener = Parameters<EventEmitter['on']>[1];

/**
 * One per server a registry tracks, made by `track()` and dropped by `untrack()`. The registry
 * owns the connections; this owns the server's listeners and its close/stop state.
 */
export class ServerTracker implements ServerState {
  readonly undo: Array<() => void> = [];
  /** TLS sockets in their handshake, by peer address, to join the raw socket to its TLS socket. */
  readonly handshaking: Map<string, TrackedConnection> | undefined;
  /** Connections of this server being tracked (the registry counts them in and out). */
  count = 0;
  /** lastcall closed the listener itself; the server's full `close()` is still owed. */
  stoppedByUs = false;
  /** The server emitted `close` since it last emitted `listening`. */
  closed = false;
  /**
   * A drain asked this server to stop. A `listen()` still looking its address up when that
   * happened opens the listener later: it is closed the moment it emits `listening`.
   */
  stopRequested = false;
  /**
   * Connections the server had when tracking began (they are not seen until they send a
   * request). `undefined` until the server's own count arrives: then nothing is ruled out.
   */
  untrackedAtStart: number | undefined;
  /** The server was listening when tracked, or emitted `listening` since. */
  everListened: boolean;
  readonly #closeWaiters: Array<() => void> = [];
  readonly #onClosed: (tracker: ServerTracker) => void;

  /**
   * @param tls the server is a TLS server (its raw sockets are joined to their TLS sockets).
   * @param onClosed the registry's part of the server's `close` event (settling its connections),
   * run after this tracker marked the server closed.
   */
  constructor(
    readonly server: ServerLike,
    tls: boolean,
    onClosed: (tracker: ServerTracker) => void,
  ) {
    this.#onClosed = onClosed;
    this.handshaking = tls ? new Map() : undefined;
    this.untrackedAtStart = server.listening ? undefined : 0;
    this.everListened = server.listening;
  }

  /** Adds a listener to the server and records its undo. One closure per server, not per call. */
  readonly on = (event: string, listener: Listener, prepend = false): void => {
    const emitter = this.server as unknown as EventEmitter;
    if (prepend) emitter.prependListener(event, listener);
    else emitter.on(event, listener);
    this.undo.push(() => emitter.removeListener(event, listener));
  };

  /**
   * Listens to `events` only while the application listens to them too. Node changes what it
   * does when one of these events has a listener (an upgrade request without one is answered
   * as a plain request; `Expect: 100-continue` without one gets its 100 Continue and goes to
   * `request`), so our listener must never be the one that makes the difference.
   */
  mirror(events: readonly string[], listener: Listener): void {
    const emitter = this.server as unknown as EventEmitter;
    let active = true;
    const sync = (): void => {
      if (!active) return;
      for (const event of events) {
        const listeners = emitter.listeners(event);
        const ours = listeners.includes(listener);
        const theirs = listeners.length - (ours ? 1 : 0);
        // Prepended: we must see the socket before the application hands it to a protocol.
        if (theirs > 0 && !ours) emitter.prependListener(event, listener);
        if (theirs === 0 && ours) emitter.removeListener(event, listener);
      }
    };
    sync();
    // `newListener` runs before the listener is added: look again once it is in place.
    const onListenerChange = (event: string | symbol): void => {
      if (typeof event === 'string' && events.includes(event)) queueMicrotask(sync);
    };
    this.on('newListener', onListenerChange);
    this.on('removeListener', onListenerChange);
    const undo = (): void => {
      active = false;
      for (const event of events) emitter.removeListener(event, listener);
    };
    this.undo.push(undo);
  }

  /** Follows the server's `close` and `listening` events (added last, after the connection listeners). */
  followLifecycle(): void {
    this.on('close', () => {
      this.closed = true;
      // We closed only the listener and the server's own close() never ran: release what
      // only that close() would have (see releaseConnectionsChecker).
      if (this.stoppedByUs) releaseConnectionsChecker(this.server);
      this.stoppedByUs = false;
      this.#onClosed(this);
      // Resolving only queues the waiters' continuations: they run after the registry's part.
      for (const resolve of this.#closeWaiters.splice(0)) resolve();
    });
    this.on('listening', () => {
      this.closed = false;
      this.everListened = true;
      if (this.stopRequested) closeTracked(this);
    });
  }

  /** Removes every listener added to the server, the last added first. */
  dispose(): void {
    for (const undo of this.undo.splice(0).reverse()) undo();
  }

  /** See `SocketRegistry.whenServerClosed`. */
  async whenClosed(): Promise<void> {
    if (this.closed) return;
    const closed = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    if (!this.server.listening && !this.stoppedByUs) {
      // Never listened, or closed before we were asked: `close` may never come again.
      const open = await connectionCount(this.server);
      // Listening by now: a `listen()` was still looking its address up when the drain began;
      // the `listening` handler closes it, and `close` does come.
      if (open === 0 && this.count === 0 && !this.server.listening) return;
    }
    await closed;
  }
}

/** The server's own count of open connections, tracked or not. */
export function connectionCount(server: ServerLike): Promise<number> {
  return new Promise((resolve) => {
    server.getConnections((error, count) => resolve(error ? 0 : count));
  });
}
