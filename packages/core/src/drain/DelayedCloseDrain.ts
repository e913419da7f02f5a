// A drain for load balancers that learn late: keep serving (with `Connection: close`) for a
// delay, then drain as the default does.
import { assertDurationMs } from '../errors.js';
import type { TrackedConnection } from '../registry/TrackedConnection.js';
import type { DrainContext } from './DrainStrategy.js';
import { KeepAliveDrain, type KeepAliveDrainOptions } from './KeepAliveDrain.js';

/** Listener delay of `DelayedCloseDrain`, in milliseconds: a few Kubernetes endpoint updates. */
export const DEFAULT_LISTEN_DELAY_MS = 5_000;

export interface DelayedCloseDrainOptions extends KeepAliveDrainOptions {
  /**
   * How long the listener stays open after `terminate()`, in milliseconds, while every
   * request is answered with `Connection: close`. Cut short by the graceful deadline.
   * Defaults to 5000 ms.
   */
  delayMs?: number;
}

/**
 * For Kubernetes and other load balancers that keep routing to a pod for a few seconds after
 * it is told to stop: new connections are still accepted during the delay (refusing them
 * would fail requests the balancer already sent), every response says `Connection: close`,
 * then the default drain runs.
 */
export class DelayedCloseDrain extends KeepAliveDrain {
  readonly delayMs: number;
  #delaying = false;
  #timer: unknown = undefined;
  #context: DrainContext | undefined;

  constructor(options: DelayedCloseDrainOptions = {}) {
    super(options);
    const delayMs = options.delayMs === undefined ? DEFAULT_LISTEN_DELAY_MS : options.delayMs;
    this.delayMs = assertDurationMs('DelayedCloseDrain', 'delayMs', delayMs);
  }

  override begin(context: DrainContext): void {
    this.#context = context;
    this.askInFlightToClose(context);
    this.#delaying = true;
    const delay = Math.max(0, Math.min(this.delayMs, context.deadline - context.clock.now()));
    this.#timer = context.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#delaying = false;
      super.begin(context);
    }, delay);
  }

  override onIdle(connection: TrackedConnection, context: DrainContext): void {
    // During the delay an idle connection is left open: its next request gets `Connection: close`.
    if (!this.#delaying) super.onIdle(connection, context);
  }

  override dispose(): void {
    if (this.#timer !== undefined) this.#context?.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    super.dispose();
  }
}
