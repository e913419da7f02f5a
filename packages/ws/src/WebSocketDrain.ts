// A drain for WebSockets: a close frame (1001 Going Away by default) to every client of the given
// `ws` servers, spread over a short window so the clients do not all reconnect at the same instant.
// Combined with the HTTP drain; built on @lastcall/core's public exports only.
import {
  assertDuration,
  assertKnownOptions,
  type DrainStrategy,
  InvalidOptionRangeError,
  InvalidOptionTypeError,
  type ShutdownContext,
} from '@lastcall/core';
import { type CloseSchedule, planCloses } from './spread.js';

/** 1001 Going Away ("a server going down", RFC 6455 7.4.1): see `closeCode` for why not 1012. */
const DEFAULT_CLOSE_CODE = 1001;
const DEFAULT_CLOSE_REASON = 'server shutting down';
/** A close frame's payload is at most 125 bytes, two of them the code (RFC 6455 5.5). */
const MAX_CLOSE_REASON_BYTES = 123;
const DEFAULT_SPREAD = 1_000;

/** `ws`'s readyState of an open socket (the `WebSocket.OPEN` constant). */
const OPEN = 1;

/**
 * The part of a `ws` WebSocket the drain uses. Structural, so the package's types do not
 * depend on `@types/ws`; a `WebSocket` of `ws` 8 fits.
 */
export interface WebSocketLike {
  /** `1` (`WebSocket.OPEN`) for a socket that can still be sent a close frame. */
  readonly readyState: number;
  /** Starts the closing handshake with a close frame. */
  close(code?: number, reason?: string): void;
}

/**
 * The part of a `ws` WebSocketServer the drain uses: its `clients` (so `clientTracking` must
 * stay on, its default) and its `connection` event. A `WebSocketServer` of `ws` 8 fits,
 * whether it was made with `{ server }` or with `{ noServer: true }` and `handleUpgrade`.
 */
export interface WebSocketServerLike {
  /** The open clients (`clientTracking`, on by default). */
  readonly clients: ReadonlySet<WebSocketLike>;
  /** Listens for clients whose upgrade completes. */
  on(event: 'connection', listener: (socket: WebSocketLike) => void): unknown;
  /** Removes that listener when the drain is disposed. */
  off(event: 'connection', listener: (socket: WebSocketLike) => void): unknown;
}

/** Options of `WebSocketDrain`. */
export interface WebSocketDrainOptions {
  /** The `ws` server(s) whose clients get a close frame when the drain begins. Required. */
  webSocketServers: WebSocketServerLike | readonly WebSocketServerLike[];
  /**
   * Close code: 1000-1014 except the reserved 1004-1006, or 3000-4999. Defaults to 1001
   * (Going Away), the code RFC 6455 gives a server going down: every client library knows it,
   * and a reconnecting client reconnects on it. 1012 (Service Restart, IANA registry only)
   * says the same more precisely; set it if your clients look for it.
   */
  closeCode?: number;
  /**
   * Close reason, at most 123 bytes of UTF-8. Defaults to "server shutting down".
   */
  closeReason?: string;
  /**
   * The window over which the close frames are spread, in milliseconds. Each client gets a
   * random instant in its own slice of the window, so the reconnects reach the other servers
   * evenly instead of all at once (a reconnect storm). Bounded by half of the graceful time
   * left when the drain begins, so every client has the other half to answer. An event loop
   * blocked for more than 10 ms moves the closes not yet made later (within that half) instead
   * of sending them all at once when it resumes. `0` closes every client at once. Defaults to
   * 1000 ms.
   */
  spread?: number;
}

const WHERE = 'WebSocketDrain';
const KNOWN_OPTIONS = ['webSocketServers', 'closeCode', 'closeReason', 'spread'] as const;

/**
 * A participant: when the drain begins, every open WebSocket client of the given servers gets
 * a close frame (`closeCode`, `closeReason`), spread over `spread` milliseconds; a client whose
 * upgrade completes while draining gets one at once. It does nothing else: combine it with the
 * HTTP drain, which closes the listener and drains HTTP traffic, and put that one first:
 *
 * ```ts
 * createTerminator({ server, drain: [new KeepAliveDrain(), new WebSocketDrain({ webSocketServers: wss })] });
 * ```
 *
 * `ws` ends the TCP connection once the client answers with its own close frame, and the
 * terminator sees the socket close: it waits for the handshake through the core's registry,
 * not through a timer of its own. A client that never answers stays open until the deadline,
 * where the force strategy ends it like any other connection (the report counts it among
 * `upgraded.forced`).
 */
export class WebSocketDrain implements DrainStrategy {
  /** The `ws` servers whose clients get a close frame (`webSocketServers` option, as an array). */
  readonly webSocketServers: readonly WebSocketServerLike[];
  /** The close code sent (`closeCode` option, default 1001). */
  readonly closeCode: number;
  /** The close reason sent (`closeReason` option, default "server shutting down"). */
  readonly closeReason: string;
  /** The longest window the close frames are spread over, in milliseconds (`spread` option, default 1000). */
  readonly spread: number;
  /** Clients upgraded while draining get their close frame as soon as `ws` hands them over. */
  readonly #onConnection = (socket: WebSocketLike): void => this.#closeClient(socket);
  #listening = false;
  #schedule: CloseSchedule | undefined;

  constructor(options: WebSocketDrainOptions) {
    assertKnownOptions(WHERE, options, KNOWN_OPTIONS);
    this.webSocketServers = validateServers(options.webSocketServers);
    // `=== undefined`, not `??`: an explicit null is bad input, not "use the default".
    this.closeCode = validateCode(options.closeCode === undefined ? DEFAULT_CLOSE_CODE : options.closeCode);
    this.closeReason = validateReason(options.closeReason === undefined ? DEFAULT_CLOSE_REASON : options.closeReason);
    this.spread = assertDuration(WHERE, 'spread', options.spread === undefined ? DEFAULT_SPREAD : options.spread);
  }

  begin(context: ShutdownContext): void {
    for (const server of this.webSocketServers) server.on('connection', this.#onConnection);
    this.#listening = true;
    // A copy: `ws` removes a client from the set when its socket closes.
    const clients = this.webSocketServers.flatMap((server) => [...server.clients]);
    // Half of the time left: the closes come in it, and every client has the other half to answer.
    const half = Math.max(0, (context.deadline - context.clock.now()) / 2);
    const window = Math.min(this.spread, half);
    this.#schedule = planCloses(clients, window, half, context.clock, (client) => this.#closeClient(client));
  }

  dispose(): void {
    this.#schedule?.cancel();
    this.#schedule = undefined;
    if (this.#listening) {
      for (const server of this.webSocketServers) server.off('connection', this.#onConnection);
      this.#listening = false;
    }
  }

  /** Starts the close handshake with one client; a client already closing is left alone. */
  #closeClient(client: WebSocketLike): void {
    if (client.readyState === OPEN) client.close(this.closeCode, this.closeReason);
  }
}

function validateServers(value: unknown): readonly WebSocketServerLike[] {
  const list = Array.isArray(value) ? value : [value];
  const option = (index: number): string => (Array.isArray(value) ? `webSocketServers[${index}]` : 'webSocketServers');
  if (Array.isArray(value) && value.length === 0) {
    throw new InvalidOptionRangeError(WHERE, 'webSocketServers', 'a non-empty array of ws servers', value);
  }
  list.forEach((server: unknown, index) => {
    const candidate = server as Partial<WebSocketServerLike> | null;
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof candidate.on !== 'function' ||
      typeof candidate.off !== 'function'
    ) {
      throw new InvalidOptionTypeError(WHERE, option(index), 'a WebSocketServer of the ws package', server);
    }
    if (!(candidate.clients instanceof Set)) {
      throw new InvalidOptionTypeError(
        WHERE,
        `${option(index)}.clients`,
        'a Set (create the WebSocketServer with clientTracking on, its default)',
        candidate.clients,
      );
    }
  });
  return [...new Set(list as WebSocketServerLike[])];
}

function validateCode(value: unknown): number {
  const expected = 'an integer close code in 1000-1014 (not 1004-1006) or 3000-4999';
  if (typeof value !== 'number') throw new InvalidOptionTypeError(WHERE, 'closeCode', expected, value);
  const valid =
    Number.isInteger(value) &&
    ((value >= 1000 && value <= 1014 && (value < 1004 || value > 1006)) || (value >= 3000 && value <= 4999));
  if (!valid) throw new InvalidOptionRangeError(WHERE, 'closeCode', expected, value);
  return value;
}

function validateReason(value: unknown): string {
  const expected = `a string of at most ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8`;
  if (typeof value !== 'string') throw new InvalidOptionTypeError(WHERE, 'closeReason', expected, value);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_CLOSE_REASON_BYTES) {
    throw new InvalidOptionRangeError(WHERE, 'closeReason', `${expected} (it has ${bytes})`, value);
  }
  return value;
}
