// A listener delay for load balancers that learn late: keep accepting for a fixed time, then
// run the drain it wraps. A ListenerDelayDrain whose end is a timer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShutdownContext } from '../context.js';
import { assertDuration, assertKnownOptions, InvalidOptionTypeError } from '../errors.js';
import type { Connection } from '../registry/Connection.js';
import type { DrainStrategy } from './DrainStrategy.js';
import { innerDrain } from './innerDrain.js';
import { ListenerDelayDrain } from './ListenerDelayDrain.js';

/** Listener delay of `DelayedCloseDrain` when `delay` is not given, in milliseconds: a few Kubernetes endpoint updates. */
const DEFAULT_DELAY = 5_000;

const WHERE = 'DelayedCloseDrain';
const KNOWN_OPTIONS = ['delay', 'drain', 'closeConnections'] as const;

/**
 * For Kubernetes and other load balancers that keep routing to an instance for a few seconds
 * after it is told to stop: the listener stays open for `delay` (refusing connections then
 * would fail requests the balancer already sent), then closes without resetting a client that
 * is reconnecting (see `ListenerDelayDrain`), and the inner drain (`drain`) begins. During the
 * delay idle connections are left open, and, with `closeConnections`, every response says
 * `Connection: close`. Nothing reaches the inner drain before it begins.
 *
 * A wrapper: registered on a container by a platform team, it wraps the drain a service
 * passes in its options instead of being replaced by it (see `WrappingDrain`); `outcome` and
 * `duration` are then read on the registered object.
 */
export class DelayedCloseDrain implements DrainStrategy {
  /** The listener delay, in milliseconds (cut short by the graceful deadline). */
  readonly delay: number;
  #delay: ListenerDelayDrain;

  constructor(
    options: {
      /**
       * How long the listener stays open after `terminate()`, in milliseconds, before it closes
       * (once no client is reconnecting) and the inner drain begins. Cut short by the graceful
       * deadline. Defaults to 5000.
       */
      delay?: number;
      /**
       * The drain that runs once the listener has closed: a drain, or several (combined in order).
       * Defaults to a `KeepAliveDrain` with its defaults.
       */
      drain?: DrainStrategy | readonly DrainStrategy[];
      /**
       * Whether responses during the delay carry `Connection: close` (in flight when the delay
       * starts, and every request that arrives during it) and HTTP/2 sessions get GOAWAY. True
       * moves keep-alive clients that connect directly, or through an L4 balancer, to another
       * instance; behind an L7 balancer that picks a server per request it only makes the balancer
       * open new connections. Defaults to true.
       */
      closeConnections?: boolean;
    } = {},
  ) {
    assertKnownOptions(WHERE, options, KNOWN_OPTIONS);
    const close = options.closeConnections === undefined ? true : options.closeConnections;
    if (typeof close !== 'boolean') throw new InvalidOptionTypeError(WHERE, 'closeConnections', 'a boolean', close);
    const drain = innerDrain(WHERE, options.drain);
    // `=== undefined`, not `??`: an explicit null is bad input, not "use the default".
    this.delay = assertDuration(WHERE, 'delay', options.delay === undefined ? DEFAULT_DELAY : options.delay);
    this.#delay = new ListenerDelayDrain({ until: this.delay, closeConnections: close, drain });
  }

  /** The drain that begins once the listener has closed. */
  get drain(): DrainStrategy {
    return this.#delay.drain;
  }

  /** Whether responses during the delay carry `Connection: close` and HTTP/2 sessions get GOAWAY. */
  get closeConnections(): boolean {
    return this.#delay.closeConnections;
  }

  /** Why the last delay ended: `delay` (it ran out) or `deadline` (the graceful deadline came first); `undefined` before. */
  get outcome(): string | undefined {
    return this.#delay.outcome;
  }

  /** How long the listener stayed open after `begin()`, in milliseconds; `undefined` until it closed. */
  get duration(): number | undefined {
    return this.#delay.duration;
  }

  /** Starts the delay (see `ListenerDelayDrain`). */
  begin(context: ShutdownContext): void {
    this.#delay.begin(context);
  }

  /** During the delay, asks the connection to close (with `closeConnections`); after it, the inner drain's. */
  onRequest(
    connection: Connection,
    request: IncomingMessage,
    response: ServerResponse,
    context: ShutdownContext,
  ): void {
    this.#delay.onRequest(connection, request, response, context);
  }

  /** Nothing during the delay (the connection stays open); after it, the inner drain's. */
  onIdle(connection: Connection, context: ShutdownContext): void {
    this.#delay.onIdle(connection, context);
  }

  /** During the delay, GOAWAY (with `closeConnections`); after it, the inner drain's. */
  onSession(connection: Connection, context: ShutdownContext): void {
    this.#delay.onSession(connection, context);
  }

  /** During the delay, counted (the listener closes once none arrive); after it, the inner drain's. */
  onConnection(connection: Connection, context: ShutdownContext): void {
    this.#delay.onConnection(connection, context);
  }

  /** Clears the delay's timers and disposes of the inner drain. */
  dispose(): void {
    this.#delay.dispose();
  }

  /** The same delay around another drain; its outcome is read on this object too. */
  wrap(inner: DrainStrategy): DelayedCloseDrain {
    const copy = new DelayedCloseDrain({ delay: this.delay, closeConnections: this.closeConnections });
    copy.#delay = this.#delay.wrap(inner);
    return copy;
  }
}
