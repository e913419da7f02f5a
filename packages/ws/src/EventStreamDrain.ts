// A drain for server-sent events: each registered `text/event-stream` response gets a last
// message carrying `retry:` and is ended, the endings spread over a window like WebSocketDrain's.
import {
  assertDuration,
  assertKnownOptions,
  type DrainStrategy,
  InvalidOptionRangeError,
  InvalidOptionTypeError,
  type ShutdownContext,
} from '@lastcall/core';
import { type CloseSchedule, planCloses } from './spread.js';

const DEFAULT_SPREAD = 1_000;
const DEFAULT_RETRY = 1_000;

/**
 * The part of an SSE response the drain uses: an `http.ServerResponse` fits, and so does an
 * `Http2ServerResponse` of the compatibility API.
 */
export interface EventStreamLike {
  /** Writes the last message. */
  write(chunk: string): unknown;
  /** Ends the response: the client's EventSource sees the stream end and reconnects. */
  end(): unknown;
  /** True once the response has ended (the application ended it, or the drain did). */
  readonly writableEnded: boolean;
  /** Forgets the response once it closes. */
  once(event: 'close', listener: () => void): unknown;
}

/** Options of `EventStreamDrain`. */
export interface EventStreamDrainOptions {
  /**
   * The window over which the streams are ended, in milliseconds: each stream gets a random
   * instant in its own slice of it, so the clients do not all reconnect at once. Bounded by half
   * of the graceful time left when the drain begins. An event loop blocked for more than 10 ms
   * moves the endings not yet made later (within that half) instead of making them all at once.
   * `0` ends every stream at once. Defaults to 1000 ms.
   */
  spread?: number;
  /**
   * The reconnection time sent in the last message's `retry:` field, in milliseconds: how long
   * an EventSource waits before it reconnects (to another server, behind a balancer). An
   * integer. Defaults to 1000 ms.
   */
  retry?: number;
}

const WHERE = 'EventStreamDrain';
const KNOWN_OPTIONS = ['spread', 'retry'] as const;

/**
 * A participant for server-sent events. Register each event stream with `add(response)` when
 * you start it; when the drain begins, every open one gets a last message, `retry: <retry>`,
 * and is ended, at an instant spread over `spread` milliseconds. A stream added while draining
 * is ended at once. The client's EventSource sees the end of the stream and reconnects after
 * `retry` milliseconds; the HTTP drain then closes the connection like any other that went idle.
 * Combine it with the HTTP drain, and put that one first:
 *
 * ```ts
 * const events = new EventStreamDrain();
 * createTerminator({ server, drain: [new KeepAliveDrain(), events] });
 * // in the handler, after writing the headers: events.add(res);
 * ```
 *
 * The application stops writing to a stream when the response emits `close`, as it already
 * must for a client that goes away.
 */
export class EventStreamDrain implements DrainStrategy {
  /** The longest window the streams are ended over, in milliseconds (`spread` option, default 1000). */
  readonly spread: number;
  /** The `retry:` value of the last message, in milliseconds (`retry` option, default 1000). */
  readonly retry: number;
  readonly #streams = new Set<EventStreamLike>();
  #draining = false;
  #schedule: CloseSchedule | undefined;

  constructor(options: EventStreamDrainOptions = {}) {
    assertKnownOptions(WHERE, options, KNOWN_OPTIONS);
    this.spread = assertDuration(WHERE, 'spread', options.spread === undefined ? DEFAULT_SPREAD : options.spread);
    const retry = assertDuration(WHERE, 'retry', options.retry === undefined ? DEFAULT_RETRY : options.retry);
    // The field is ASCII digits only (HTML, "Interpreting an event stream"): no fraction.
    if (!Number.isInteger(retry)) throw new InvalidOptionRangeError(WHERE, 'retry', 'an integer', retry);
    this.retry = retry;
  }

  /**
   * Registers an event stream whose headers are written. It is forgotten when it closes; while
   * draining, it is ended at once.
   */
  add(response: EventStreamLike): void {
    const candidate = response as Partial<EventStreamLike> | null;
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof candidate.write !== 'function' ||
      typeof candidate.end !== 'function' ||
      typeof candidate.once !== 'function'
    ) {
      throw new InvalidOptionTypeError(WHERE, 'response', 'an http ServerResponse', response);
    }
    if (response.writableEnded) return;
    if (this.#draining) {
      this.#end(response);
      return;
    }
    this.#streams.add(response);
    response.once('close', () => this.#streams.delete(response));
  }

  /** The event streams registered and still open. */
  get size(): number {
    return this.#streams.size;
  }

  begin(context: ShutdownContext): void {
    this.#draining = true;
    // Half of the time left: the endings come in it, and every client has the other half.
    const half = Math.max(0, (context.deadline - context.clock.now()) / 2);
    const window = Math.min(this.spread, half);
    this.#schedule = planCloses([...this.#streams], window, half, context.clock, (stream) => this.#end(stream));
  }

  dispose(): void {
    this.#schedule?.cancel();
    this.#schedule = undefined;
  }

  #end(stream: EventStreamLike): void {
    this.#streams.delete(stream);
    if (stream.writableEnded) return;
    // A message of its own (a blank line ends it): the field applies even with no data.
    stream.write(`retry: ${this.retry}\n\n`);
    stream.end();
  }
}
