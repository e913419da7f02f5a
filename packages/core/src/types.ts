// Public types shared by the terminator, the registry and the strategies.
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import type * as https from 'node:https';
import type { StrategyError } from './errors.js';

/** A server lastcall can drain: http, https, or http2 (h2c or TLS, with or without allowHTTP1). */
export type ServerLike = http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer;

/** `running` until `terminate()` is called, `draining` until every server closed, then `closed`. */
export type TerminatorState = Terminator['state'];

/**
 * What a tracked connection carries (`Connection.kind`; internal name, spelt out in the
 * public types): `http1` plain HTTP/1.x, `tls` HTTP/1.x over TLS (or a TLS socket still in its
 * handshake), `http2` an HTTP/2 session, `upgraded` a socket handed to an `upgrade`/`connect` listener.
 */
export type ConnectionKind = 'http1' | 'tls' | 'http2' | 'upgraded';

/** Where a strategy failure happened, as recorded in the report. */
export type TerminationPhase = TerminationFailure['phase'];

/** A failure that the terminator caught and survived (an entry of `report.failures`). */
export type TerminationFailure = TerminationReport['failures'][number];

/** What `terminate()` resolves with: what happened, for a log line or a test. */
export interface TerminationReport {
  /** Time from `terminate()` to the promise resolving (milliseconds). */
  readonly duration: number;
  /** The graceful period that applied (milliseconds). */
  readonly gracefulTimeout: number;
  /**
   * True when the force strategy ran: the graceful period ran out with connections still open,
   * or `forceNow()` cut it short. A listener delay cut short by the deadline
   * (`DelayedCloseDrain`) is not a time-out by itself: its inner drain begins then, and
   * `timedOut` is true only if the force had to run after it.
   */
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
  readonly kindsAtStart: Readonly<Record<'http1' | 'tls' | 'http2' | 'upgraded', number>>;
  /**
   * Strategy failures the terminator survived, empty on a clean shutdown: `phase` says whether
   * the drain or the force failed, `error` is a `StrategyError` whose `cause` is the throw or
   * rejection and whose `strategy` names the failing class.
   */
  readonly failures: readonly {
    /** Whether the drain or the force strategy failed. */
    readonly phase: 'drain' | 'force';
    /** The `StrategyError`: `cause` is what was thrown, `strategy` the failing class's name. */
    readonly error: StrategyError;
  }[];
  /**
   * What the runtime kept lastcall from doing as the contract says, one sentence each, naming
   * the runtime (docs/runtimes.md). Empty on Node and Deno. On Bun, for example: its server
   * cannot close its listener alone, so idle connections closed with it (no idle grace).
   */
  readonly runtimeLimits: readonly string[];
}

/**
 * Shuts its servers down gracefully. Made by `createTerminator`. It never calls
 * `process.exit` and never listens to process signals.
 */
export interface Terminator {
  /** `running` until `terminate()`, `draining` while it runs, then `closed`. */
  readonly state: 'running' | 'draining' | 'closed';
  /** The servers it terminates. */
  readonly servers: readonly ServerLike[];
  /** The graceful period `terminate()` uses when it is given none (milliseconds). */
  readonly gracefulTimeout: number;
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
