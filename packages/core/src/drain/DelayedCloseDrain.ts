// A listener delay for load balancers that learn late: keep accepting for a while, then run
// the drain it wraps.
import type { ShutdownContext } from '../context.js';
import { assertDuration, assertKnownOptions, InvalidOptionTypeError } from '../errors.js';
import type { DrainStrategy } from './DrainStrategy.js';
import { ListenerDelayDrain } from './ListenerDelayDrain.js';

/** Listener delay of `DelayedCloseDrain`, in milliseconds: a few Kubernetes endpoint updates. */
export const DEFAULT_LISTEN_DELAY_MS = 5_000;

/** Options of `DelayedCloseDrain`. */
export interface DelayedCloseDrainOptions {
  /**
   * How long the listener stays open after `terminate()`, in milliseconds, before the inner
   * drain begins. Cut short by the graceful deadline. Defaults to 5000 ms.
   */
  delay?: number;
  /**
   * The drain that runs once the delay is over: a drain, or several (combined in order).
   * Defaults to a `KeepAliveDrain` with its defaults.
   */
  drain?: DrainStrategy | readonly DrainStrategy[];
  /**
   * Whether responses during the delay carry `Connection: close` (in flight when the delay
   * starts, and every request that arrives during it) and HTTP/2 sessions get GOAWAY. True moves keep-alive clients that
   * connect directly, or through an L4 balancer, to another instance; behind an L7 balancer
   * that picks a server per request it only makes the balancer open new connections.
   * Defaults to true.
   */
  closeConnections?: boolean;
}

const WHERE = 'DelayedCloseDrain';
const KNOWN_OPTIONS = ['delay', 'drain', 'closeConnections'] as const;

/**
 * For Kubernetes and other load balancers that keep routing to an instance for a few seconds
 * after it is told to stop: the listener stays open for `delay` (refusing connections then
 * would fail requests the balancer already sent), then the inner drain (`drain`) begins.
 * During the delay idle connections are left open, and, with `closeConnections`, every
 * response says `Connection: close`. Nothing reaches the inner drain before it begins.
 *
 * A wrapper: registered on a container by a platform team, it wraps the drain a service
 * passes in its options instead of being replaced by it (see `WrappingDrain`).
 */
export class DelayedCloseDrain extends ListenerDelayDrain {
  /** The listener delay, in milliseconds (cut short by the graceful deadline). */
  readonly delay: number;
  #timer: unknown = undefined;
  #clock: ShutdownContext['clock'] | undefined;

  constructor(options: DelayedCloseDrainOptions = {}) {
    assertKnownOptions(WHERE, options, KNOWN_OPTIONS);
    const close = options.closeConnections === undefined ? true : options.closeConnections;
    if (typeof close !== 'boolean') throw new InvalidOptionTypeError(WHERE, 'closeConnections', 'a boolean', close);
    super(WHERE, options.drain, close);
    // `=== undefined`, not `??`: an explicit null is bad input, not "use the default".
    this.delay = assertDuration(WHERE, 'delay', options.delay === undefined ? DEFAULT_LISTEN_DELAY_MS : options.delay);
  }

  protected startDelay(context: ShutdownContext): void {
    this.#clock = context.clock;
    const delay = Math.max(0, Math.min(this.delay, context.deadline - context.clock.now()));
    this.#timer = context.clock.setTimeout(() => {
      this.#timer = undefined;
      this.endDelay();
    }, delay);
  }

  protected stopDelay(): void {
    if (this.#timer !== undefined) this.#clock?.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The same delay around another drain. */
  wrap(inner: DrainStrategy): DelayedCloseDrain {
    return new DelayedCloseDrain({ delay: this.delay, closeConnections: this.closeConnections, drain: inner });
  }
}
