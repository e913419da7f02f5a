// The listener delay, by composition: one wrapper that keeps the listener open until an end it
// is given (a fixed time, a promise, an AbortSignal), closes the listener without resetting a
// connection waiting in the accept queue, then begins the drain it wraps. DelayedCloseDrain
// gives it a time; @lastcall/health's AcknowledgedDelayDrain gives it the balancers' word.
// The forms of its end are read in listenerDelayEnd.ts, the quiet accept queue is awaited in
// quietAcceptQueue.ts, the inner drain option is resolved in innerDrain.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShutdownContext } from '../context.js';
import { assertDuration, assertKnownOptions, InvalidOptionTypeError } from '../errors.js';
import type { Connection } from '../registry/Connection.js';
import type { DrainStrategy } from './DrainStrategy.js';
import { innerDrain } from './innerDrain.js';
import { publishDelay } from './listenerDelayChannel.js';
import { assertUntil, type ListenerDelayEnd, listenForEnd } from './listenerDelayEnd.js';
import { waitForQuiet } from './quietAcceptQueue.js';

type Phase = 'idle' | 'delaying' | 'closing' | 'drained';

const WHERE = 'ListenerDelayDrain';
const KNOWN_OPTIONS = ['until', 'maxDelay', 'closeConnections', 'drain'] as const;

/**
 * A wrapper that keeps the listener open until its end (`until`), then closes it and begins
 * the drain it wraps. During the delay nothing reaches the inner drain: requests are served,
 * idle connections stay open (a balancer may still send on them) and, with
 * `closeConnections`, every response says `Connection: close`.
 *
 * When the delay ends the listener does not close at once: a client told to reconnect may be
 * waiting in the kernel's accept queue, and closing a listener resets every connection there.
 * The wrapper stops asking clients to reconnect, waits until no connection has arrived for
 * 10 ms (at most 200 ms, within the deadline), then closes the listener right after a poll
 * for I/O has accepted what was queued; the inner drain begins after. Only a client that
 * connects within that last instant (well under a millisecond on an idle loop) can be reset.
 *
 * `outcome` and `duration` say how the last delay went, on this object and on the one it was
 * made from by `wrap()` (a wrapper registered on a container runs as a copy around the
 * service's drain). Its failures, even from a timer, land in the report.
 */
export class ListenerDelayDrain implements DrainStrategy {
  /** The drain that begins once the listener has closed. */
  readonly drain: DrainStrategy;
  /** Whether responses during the delay carry `Connection: close` and HTTP/2 sessions get GOAWAY. */
  readonly closeConnections: boolean;
  /** Longest the listener stays open waiting for `until`, in milliseconds (`Infinity`: only the deadline bounds it). */
  readonly maxDelay: number;
  readonly #until: ListenerDelayEnd | ((context: ShutdownContext, signal: AbortSignal) => ListenerDelayEnd);
  /** The drain this one was made from by `wrap()`: it hears the outcome too. */
  #origin: ListenerDelayDrain | undefined;
  #phase: Phase = 'idle';
  #context: ShutdownContext | undefined;
  #stop: AbortController | undefined;
  #timer: unknown = undefined;
  #startedAt = 0;
  #endedAt = 0;
  #lastArrival = 0;
  #accepted = 0;
  /** Connections told to close during the delay: their clients are about to reconnect. */
  #prompted = new WeakSet<Connection>();
  #outcome: string | undefined;
  #duration: number | undefined;

  constructor(options: {
    /**
     * What ends the delay: milliseconds from `begin()`; a promise (the delay ends when it
     * resolves; a string it resolves with names why, in `outcome`); an `AbortSignal` (ends when
     * it aborts; a string `reason` names why); or a function called once at `begin()` that
     * returns one of those. The function gets the shutdown context and a signal that aborts when the delay
     * is over for another reason (`maxDelay`, the deadline, `dispose()`): clear what it set up
     * then. A throw or a rejection ends the delay (outcome `failed`) and is recorded in the
     * report. Required.
     */
    until:
      | number
      | PromiseLike<unknown>
      | AbortSignal
      | ((context: ShutdownContext, signal: AbortSignal) => number | PromiseLike<unknown> | AbortSignal);
    /**
     * Longest the listener stays open waiting for `until`, in milliseconds (outcome `maxDelay`).
     * The graceful deadline bounds it too (outcome `deadline`). Defaults to `Infinity`.
     */
    maxDelay?: number;
    /**
     * Whether responses during the delay carry `Connection: close` and HTTP/2 sessions get
     * GOAWAY, which moves clients that connect directly (or through an L4 balancer) to another
     * instance. Off behind an L7 balancer, where it only makes the balancer open new connections
     * to us. Defaults to true.
     */
    closeConnections?: boolean;
    /**
     * The drain that begins once the listener has closed: a drain, or several (combined in
     * order). Defaults to a `KeepAliveDrain` with its defaults.
     */
    drain?: DrainStrategy | readonly DrainStrategy[];
  }) {
    assertKnownOptions(WHERE, options, KNOWN_OPTIONS);
    assertUntil(WHERE, (options as { until?: unknown }).until);
    this.#until = options.until;
    this.maxDelay = assertDuration(
      WHERE,
      'maxDelay',
      options.maxDelay === undefined ? Infinity : options.maxDelay,
      true,
    );
    const close = options.closeConnections === undefined ? true : options.closeConnections;
    if (typeof close !== 'boolean') throw new InvalidOptionTypeError(WHERE, 'closeConnections', 'a boolean', close);
    this.closeConnections = close;
    this.drain = innerDrain(WHERE, options.drain);
  }

  /**
   * Why the last delay ended, once it has: `delay` (a fixed time ran out), `maxDelay`,
   * `deadline` (the graceful deadline came first), `failed` (`until` threw or rejected),
   * `aborted` (a signal without a string reason), `ended` (a promise that resolved without a
   * string), or the string `until`'s promise resolved with / its signal aborted with.
   * `undefined` before.
   */
  get outcome(): string | undefined {
    return this.#outcome;
  }

  /** How long the listener stayed open after `begin()`, in milliseconds; `undefined` until it closed. */
  get duration(): number | undefined {
    return this.#duration;
  }

  /** Starts the delay: asks for its end, and (with `closeConnections`) asks open connections to close. */
  begin(context: ShutdownContext): void {
    this.#context = context;
    this.#phase = 'delaying';
    this.#startedAt = context.clock.now();
    this.#lastArrival = this.#startedAt;
    const stop = new AbortController();
    this.#stop = stop;
    // The end first: AcknowledgedDelayDrain flips readiness there, before anything else.
    let end: ListenerDelayEnd;
    try {
      end = typeof this.#until === 'function' ? this.#until(context, stop.signal) : this.#until;
    } catch (error) {
      context.reportFailure(error, this);
      this.#end('failed');
      return;
    }
    if (this.closeConnections) {
      for (const connection of context.registry.connections()) {
        if (connection.requestClose()) this.#prompted.add(connection);
      }
    }
    const { clock } = context;
    const left = Math.max(0, context.deadline - this.#startedAt);
    const fixed = typeof end === 'number' ? end : Infinity;
    const bound = Math.min(fixed, this.maxDelay, left);
    if (bound !== Infinity) {
      const why = bound === fixed ? 'delay' : bound === this.maxDelay ? 'maxDelay' : 'deadline';
      this.#timer = clock.setTimeout(() => this.#end(why), bound);
    }
    listenForEnd(
      end,
      stop.signal,
      (outcome) => this.#end(outcome),
      (error) => {
        if (this.#phase !== 'delaying' || this.#context !== context) return;
        context.reportFailure(error, this);
        this.#end('failed');
      },
    );
  }

  /** During the delay, asks the connection to close (with `closeConnections`); after it, the inner drain's. */
  onRequest(
    connection: Connection,
    request: IncomingMessage,
    response: ServerResponse,
    context: ShutdownContext,
  ): void {
    if (this.#phase === 'drained') this.drain.onRequest?.(connection, request, response, context);
    else if (this.#phase === 'delaying' && this.closeConnections && connection.requestClose()) {
      this.#prompted.add(connection);
    }
  }

  /** Nothing during the delay (the connection stays open); after it, the inner drain's. */
  onIdle(connection: Connection, context: ShutdownContext): void {
    if (this.#phase === 'drained') this.drain.onIdle?.(connection, context);
    // Left open while the listener is (its next request is served). One we told to close is
    // closing now: its client reconnects, and that connection must be accepted before the
    // listener closes.
    else if (this.#prompted.has(connection)) this.#arrival(context);
  }

  /** During the delay, GOAWAY (with `closeConnections`); after it, the inner drain's. */
  onSession(connection: Connection, context: ShutdownContext): void {
    if (this.#phase === 'drained') this.drain.onSession?.(connection, context);
    else if (this.#phase === 'delaying' && this.closeConnections && connection.requestClose()) {
      this.#prompted.add(connection);
    }
  }

  /** Until the listener closes, counted (it closes once none arrive); after, the inner drain's. */
  onConnection(connection: Connection, context: ShutdownContext): void {
    if (this.#phase === 'drained') {
      this.drain.onConnection?.(connection, context);
      return;
    }
    this.#accepted++;
    this.#arrival(context);
  }

  /** Clears the delay's timers, tells `until` to stop, and disposes of the inner drain. */
  dispose(): void {
    this.#clear();
    this.#context = undefined;
    if (this.#phase !== 'idle') this.#phase = 'drained';
    this.drain.dispose?.();
  }

  /** The same delay (same end, bound and `closeConnections`) around another drain; its outcome is reported here too. */
  wrap(inner: DrainStrategy): ListenerDelayDrain {
    const copy = new ListenerDelayDrain({
      until: this.#until,
      maxDelay: this.maxDelay,
      closeConnections: this.closeConnections,
      drain: inner,
    });
    copy.#origin = this;
    return copy;
  }

  #arrival(context: ShutdownContext): void {
    this.#lastArrival = context.clock.now();
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#context?.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stop?.abort();
    this.#stop = undefined;
  }

  /** The delay is over: stop asking clients to reconnect, then close the listener once the queue is quiet. */
  #end(outcome: string): void {
    const context = this.#context;
    if (this.#phase !== 'delaying' || context === undefined) return;
    this.#phase = 'closing';
    this.#clear();
    for (let drain: ListenerDelayDrain | undefined = this; drain !== undefined; drain = drain.#origin) {
      drain.#outcome = outcome;
    }
    this.#endedAt = context.clock.now();
    waitForQuiet({
      clock: context.clock,
      endedAt: this.#endedAt,
      deadline: context.deadline,
      lastArrival: () => this.#lastArrival,
      setTimer: (timer) => {
        this.#timer = timer;
      },
      close: () => this.#closeListener(context),
    });
  }

  #closeListener(context: ShutdownContext): void {
    if (this.#phase !== 'closing' || this.#context !== context) return;
    for (const server of context.servers) context.registry.stopAccepting(server);
    this.#phase = 'drained';
    const closedAt = context.clock.now();
    const duration = closedAt - this.#startedAt;
    for (let drain: ListenerDelayDrain | undefined = this; drain !== undefined; drain = drain.#origin) {
      drain.#duration = duration;
    }
    publishDelay({
      servers: context.servers,
      outcome: this.#outcome ?? 'ended',
      duration,
      quietWait: closedAt - this.#endedAt,
      accepted: this.#accepted,
      closeConnections: this.closeConnections,
    });
    // From a timer or an event: a throw here would reach nobody, so it is recorded like any
    // drain failure.
    try {
      const result = this.drain.begin(context);
      if (result !== undefined) result.then(undefined, (error: unknown) => context.reportFailure(error, this.drain));
    } catch (error) {
      context.reportFailure(error, this.drain);
    }
  }
}
