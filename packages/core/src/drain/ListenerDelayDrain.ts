// The shared lifecycle of a wrapper that keeps the listener open for a while, then begins the
// drain it wraps: DelayedCloseDrain (a fixed delay), @lastcall/health's AcknowledgedDelayDrain.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShutdownContext } from '../context.js';
import { InvalidOptionTypeError } from '../errors.js';
import type { Connection } from '../registry/Connection.js';
import { combineDrains } from './CombinedDrain.js';
import type { DrainStrategy, WrappingDrain } from './DrainStrategy.js';
import { KeepAliveDrain } from './KeepAliveDrain.js';

/**
 * A wrapper whose delay keeps the listener open: until the delay ends nothing reaches the inner
 * drain, idle connections stay open (a balancer may still send on them), and, with
 * `closeConnections`, every response says `Connection: close` and HTTP/2 sessions get GOAWAY.
 * Subclasses decide only when the delay ends (`startDelay` calls `endDelay`) and what to undo
 * (`stopDelay`); the inner drain's failures, even from a timer, land in the report.
 */
export abstract class ListenerDelayDrain implements WrappingDrain {
  /** The drain that begins after the delay. */
  readonly drain: DrainStrategy;
  /** Whether responses during the delay carry `Connection: close` and HTTP/2 sessions get GOAWAY. */
  readonly closeConnections: boolean;
  #delaying = false;
  #context: ShutdownContext | undefined;

  /**
   * @param where the class name, for errors about `drain`.
   * @param drain the inner drain option: a drain, several (combined in order), or nothing for a `KeepAliveDrain`.
   */
  protected constructor(
    where: string,
    drain: DrainStrategy | readonly DrainStrategy[] | undefined,
    closeConnections: boolean,
  ) {
    this.drain = innerDrain(where, drain);
    this.closeConnections = closeConnections;
  }

  /** True from `begin()` until the inner drain begins. */
  protected get delaying(): boolean {
    return this.#delaying;
  }

  begin(context: ShutdownContext): void {
    this.#context = context;
    this.#delaying = true;
    if (this.closeConnections) for (const connection of context.registry.connections()) connection.requestClose();
    this.startDelay(context);
  }

  /** Starts the delay; calls `endDelay()` when it is over (from a timer or an event). */
  protected abstract startDelay(context: ShutdownContext): void;

  /** Undoes what `startDelay` set up (timers, subscriptions). Called by `dispose()`. */
  protected abstract stopDelay(): void;

  /** Ends the delay: the inner drain begins now. A second call does nothing. */
  protected endDelay(): void {
    const context = this.#context;
    if (!this.#delaying || context === undefined) return;
    this.#delaying = false;
    // From a timer or an event: a throw here would reach nobody, so it is recorded like any
    // drain failure.
    try {
      const result = this.drain.begin(context);
      if (result !== undefined) result.then(undefined, (error: unknown) => context.reportFailure(error, this.drain));
    } catch (error) {
      context.reportFailure(error, this.drain);
    }
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
    this.stopDelay();
    this.#context = undefined;
    this.drain.dispose?.();
  }

  /** The same delay around another drain. */
  abstract wrap(inner: DrainStrategy): DrainStrategy;
}

function innerDrain(where: string, option: DrainStrategy | readonly DrainStrategy[] | undefined): DrainStrategy {
  if (option === undefined) return new KeepAliveDrain();
  if (Array.isArray(option)) {
    try {
      return combineDrains(...option);
    } catch (error) {
      throw new InvalidOptionTypeError(where, 'drain', 'a drain or a non-empty array of drains', option, {
        cause: error,
      });
    }
  }
  if (typeof (option as Partial<DrainStrategy>).begin !== 'function') {
    throw new InvalidOptionTypeError(where, 'drain', 'a drain or a non-empty array of drains', option);
  }
  return option as DrainStrategy;
}
