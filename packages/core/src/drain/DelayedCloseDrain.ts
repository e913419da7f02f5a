// A listener delay for load balancers that learn late: keep accepting for a while, then run
// the drain it wraps.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShutdownContext } from '../context.js';
import { assertDurationMs, assertKnownOptions, InvalidOptionTypeError } from '../errors.js';
import type { Connection } from '../registry/Connection.js';
import { combineDrains } from './CombinedDrain.js';
import type { DrainStrategy, WrappingDrain } from './DrainStrategy.js';
import { KeepAliveDrain } from './KeepAliveDrain.js';

/** Listener delay of `DelayedCloseDrain`, in milliseconds: a few Kubernetes endpoint updates. */
export const DEFAULT_LISTEN_DELAY_MS = 5_000;

/** Options of `DelayedCloseDrain`. */
export interface DelayedCloseDrainOptions {
  /**
   * How long the listener stays open after `terminate()`, in milliseconds, before the inner
   * drain begins. Cut short by the graceful deadline. Defaults to 5000 ms.
   */
  delayMs?: number;
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
const KNOWN_OPTIONS = ['delayMs', 'drain', 'closeConnections'] as const;

/**
 * For Kubernetes and other load balancers that keep routing to an instance for a few seconds
 * after it is told to stop: the listener stays open for `delayMs` (refusing connections then
 * would fail requests the balancer already sent), then the inner drain (`drain`) begins.
 * During the delay idle connections are left open, and, with `closeConnections`, every
 * response says `Connection: close`. Nothing reaches the inner drain before it begins.
 *
 * A wrapper: registered on a container by a platform team, it wraps the drain a service
 * passes in its options instead of being replaced by it (see `WrappingDrain`).
 */
export class DelayedCloseDrain implements WrappingDrain {
  /** How long the listener stays open after `terminate()`, in milliseconds (`delayMs` option, default `DEFAULT_LISTEN_DELAY_MS`). */
  readonly delayMs: number;
  /** Whether responses during the delay carry `Connection: close` (`closeConnections` option, default true). */
  readonly closeConnections: boolean;
  /** The drain that begins after the delay. */
  readonly drain: DrainStrategy;
  #delaying = false;
  #timer: unknown = undefined;
  #context: ShutdownContext | undefined;

  constructor(options: DelayedCloseDrainOptions = {}) {
    assertKnownOptions(WHERE, options, KNOWN_OPTIONS);
    // `=== undefined`, not `??`: an explicit null is bad input, not "use the default".
    this.delayMs = assertDurationMs(
      WHERE,
      'delayMs',
      options.delayMs === undefined ? DEFAULT_LISTEN_DELAY_MS : options.delayMs,
    );
    const close = options.closeConnections === undefined ? true : options.closeConnections;
    if (typeof close !== 'boolean') throw new InvalidOptionTypeError(WHERE, 'closeConnections', 'a boolean', close);
    this.closeConnections = close;
    this.drain = innerDrain(options.drain);
  }

  begin(context: ShutdownContext): void {
    this.#context = context;
    if (this.closeConnections) for (const connection of context.registry.connections()) connection.requestClose();
    this.#delaying = true;
    const delay = Math.max(0, Math.min(this.delayMs, context.deadline - context.clock.now()));
    this.#timer = context.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#delaying = false;
      // In a timer: a throw here would reach nobody, so it is recorded like any drain failure.
      try {
        const result = this.drain.begin(context);
        if (result !== undefined) result.then(undefined, (error: unknown) => context.reportFailure(error, this.drain));
      } catch (error) {
        context.reportFailure(error, this.drain);
      }
    }, delay);
  }

  onRequest(
    connection: Connection,
    request: IncomingMessage,
    response: ServerResponse,
    context: ShutdownContext,
  ): void {
    if (!this.#delaying) this.drain.onRequest?.(connection, request, response, context);
    else if (this.closeConnections) connection.requestClose();
  }

  onIdle(connection: Connection, context: ShutdownContext): void {
    // During the delay an idle connection is left open: its next request is served.
    if (!this.#delaying) this.drain.onIdle?.(connection, context);
  }

  onSession(connection: Connection, context: ShutdownContext): void {
    if (!this.#delaying) this.drain.onSession?.(connection, context);
    else if (this.closeConnections) connection.requestClose();
  }

  onConnection(connection: Connection, context: ShutdownContext): void {
    if (!this.#delaying) this.drain.onConnection?.(connection, context);
  }

  dispose(): void {
    if (this.#timer !== undefined) this.#context?.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#context = undefined;
    this.drain.dispose?.();
  }

  /** The same delay around another drain. */
  wrap(inner: DrainStrategy): DelayedCloseDrain {
    return new DelayedCloseDrain({ delayMs: this.delayMs, closeConnections: this.closeConnections, drain: inner });
  }
}

function innerDrain(option: DelayedCloseDrainOptions['drain']): DrainStrategy {
  if (option === undefined) return new KeepAliveDrain();
  if (Array.isArray(option)) {
    try {
      return combineDrains(...option);
    } catch (error) {
      throw new InvalidOptionTypeError(WHERE, 'drain', 'a drain or a non-empty array of drains', option, {
        cause: error,
      });
    }
  }
  if (typeof (option as Partial<DrainStrategy>).begin !== 'function') {
    throw new InvalidOptionTypeError(WHERE, 'drain', 'a drain or a non-empty array of drains', option);
  }
  return option as DrainStrategy;
}
