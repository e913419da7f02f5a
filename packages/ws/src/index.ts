// @lastcall/ws public surface: a drain for servers of the `ws` package. No deep imports.
/**
 * A drain that closes the WebSockets of `ws` servers with 1001 Going Away, combined with the HTTP drain of `@lastcall/core`.
 *
 * @packageDocumentation
 * @module @lastcall/ws
 */
export {
  WebSocketDrain,
  type WebSocketDrainOptions,
  type WebSocketLike,
  type WebSocketServerLike,
} from './WebSocketDrain.js';
