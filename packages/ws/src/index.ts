// @lastcall/ws public surface: drains for long-lived connections (WebSockets of the `ws` package,
// server-sent events). No deep imports.
/**
 * Drains for long-lived connections, combined with the HTTP drain of `@lastcall/core`: one that
 * closes the WebSockets of `ws` servers (1001 Going Away), one that ends server-sent event streams
 * with a `retry:` message; both spread the endings over a window so the clients do not reconnect
 * all at once.
 *
 * @packageDocumentation
 * @module @lastcall/ws
 */
export { EventStreamDrain, type EventStreamDrainOptions, type EventStreamLike } from './EventStreamDrain.js';
export {
  WebSocketDrain,
  type WebSocketDrainOptions,
  type WebSocketLike,
  type WebSocketServerLike,
} from './WebSocketDrain.js';
