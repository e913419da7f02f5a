// Public types shared by the terminator, the registry and the strategies.
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import type * as https from 'node:https';
import type { Clock } from './clock.js';
import type { DrainStrategy } from './drain/DrainStrategy.js';
import type { StrategyError } from './errors.js';
import type { ForceStrategy } from './force/ForceStrategy.js';
import type { RegistryView } from './registry/Connection.js';

/** A server lastcall can drain: http, https, or http2 (h2c or TLS, with or without allowHTTP1). */
export type ServerLike = http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer;

/** `running` until `terminate()` is called, `draining` until every server closed, then `closed`. */
export type TerminatorState = 'running' | 'draining' | 'closed';

/**
 * What a tracked connection carries:
 * `http1` plain HTTP/1.x, `tls` HTTP/1.x over TLS (or a TLS socket still in its handshake),
 * `http2` an HTTP/2 session, `upgraded` a socket handed to an `upgrade`/`connect` listener.
 */
export type ConnectionKind = 'http1' | 'tls' | 'http2' | 'upgraded';

/** Where a strategy failure happened, as recorded in the report. */
export type TerminationPhase = 'drain' | 'force';

/** A failure that the terminator caught and survived; the shutdown went on. */
export interface TerminationFailure {
  /** Whether the drain or the force strategy failed. */
  readonly phase: TerminationPhase;
  /** The strategy's throw or rejection is its `cause`. */
  readonly error: StrategyError;
}

/** What `terminate()` resolves with: what happened, for a log line or a test. */
export interface TerminationReport {
  /** Time from `terminate()` to the promise resolving, in milliseconds. */
  readonly duration: number;
  /** The graceful period that applied, in milliseconds. */
  readonly gracefulTimeout: number;
  /** True when the graceful period ran out and the force strategy was called. */
  readonly timedOut: boolean;
  /** Connection counts: at the start, accepted while draining, closed gracefully, forced. */
  readonly connections: {
    /** Connections open when `terminate()` was called, tracked or not. */
    readonly atStart: number;
    /** Connections accepted while draining (only while a drain keeps the listener open). */
    readonly acceptedDuringDrain: number;
    /** Connections that ended without being forced. */
    readonly closedGracefully: number;
    /** Connections the force strategy ended at the deadline. */
    readonly forced: number;
  };
  /** Request counts: in flight at the start, received while draining, completed, aborted. */
  readonly requests: {
    /** HTTP/1 responses and HTTP/2 streams in flight when `terminate()` was called. */
    readonly inFlightAtStart: number;
    /** Requests received while draining (each answered with `Connection: close`). */
    readonly receivedDuringDrain: number;
    /** Responses that ended completely while draining. */
    readonly completed: number;
    /** Responses cut before their end while draining (client went away, or forced). */
    readonly aborted: number;
  };
  /**
   * HTTP/2 sessions (tracked ones), each also counted in `connections`. Each gets GOAWAY when
   * the drain begins and closes when its last stream ends.
   */
  readonly sessions: {
    /** Sessions open when `terminate()` was called. */
    readonly atStart: number;
    /** Sessions established while draining (TLS handshakes that finished after the drain began). */
    readonly openedDuringDrain: number;
    /** Sessions that closed without being forced. */
    readonly closedGracefully: number;
    /** Sessions still open at the deadline, ended by the force strategy. */
    readonly forced: number;
  };
  /** HTTP/2 streams alone; `requests` counts them too, together with HTTP/1 responses. */
  readonly streams: {
    /** Streams open when `terminate()` was called. */
    readonly inFlightAtStart: number;
    /** Streams opened while draining (before the client saw GOAWAY). */
    readonly receivedDuringDrain: number;
    /** Streams whose response was sent in full while draining. */
    readonly completed: number;
    /** Streams reset or cut while draining (client cancelled, or forced). */
    readonly aborted: number;
  };
  /**
   * Upgraded connections (WebSocket and other protocols behind `upgrade`/`connect`), each
   * also counted in `connections`. The default drain leaves them to the deadline; a drain
   * that knows the protocol (`@lastcall/ws`) closes them.
   */
  readonly upgraded: {
    /** Upgraded connections open when `terminate()` was called. */
    readonly atStart: number;
    /** Connections upgraded while draining. */
    readonly upgradedDuringDrain: number;
    /** Upgraded connections that closed without being forced. */
    readonly closedGracefully: number;
    /** Upgraded connections still open at the deadline, ended by the force strategy. */
    readonly forced: number;
  };
  /** Open connections by kind when `terminate()` was called (tracked connections only). */
  readonly kindsAtStart: Readonly<Record<ConnectionKind, number>>;
  /** Strategy failures the terminator survived. Empty on a clean shutdown. */
  readonly failures: readonly TerminationFailure[];
}

/**
 * Shuts its servers down gracefully. Made by `createTerminator`. It never calls
 * `process.exit` and never listens to process signals.
 */
export interface Terminator {
  /** `running` until `terminate()`, `draining` while it runs, then `closed`. */
  readonly state: TerminatorState;
  /** The servers it terminates. */
  readonly servers: readonly ServerLike[];
  /** The graceful period `terminate()` uses when it is given none, in milliseconds. */
  readonly gracefulTimeout: number;
  /** What is open now, read-only: the same view the strategies are handed. */
  readonly registry: RegistryView;
  /** The drain it runs (the composed one, when drains were combined or wrapped). */
  readonly drain: DrainStrategy;
  /** The force it runs at the deadline. */
  readonly force: ForceStrategy;
  /** The clock of every deadline and timer. */
  readonly clock: Clock;
  /**
   * Stops the servers gracefully and resolves with what happened. Idempotent: a second call
   * returns the first call's promise (its argument is then ignored). Never rejects because of
   * a strategy: failures are recorded in the report.
   * @param gracefulTimeout milliseconds to wait before forcing; defaults to `gracefulTimeout`.
   * @throws TypeError / RangeError at the call when `gracefulTimeout` is not a non-negative number.
   */
  terminate(gracefulTimeout?: number): Promise<TerminationReport>;
  /**
   * Ends the graceful period now: the force strategy runs at once, and the report says
   * `timedOut: true`. Before `terminate()` it is `terminate(0)`; after the end it returns the
   * same report.
   */
  forceNow(): Promise<TerminationReport>;
  /**
   * Stops tracking without shutting anything down: removes every listener lastcall added to
   * the servers. For a terminator that will not be used; `terminate()` does it by itself.
   */
  dispose(): void;
}
