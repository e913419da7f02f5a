// @lastcall/ws public surface: a drain for servers of the `ws` package. No deep imports.
export {
  DEFAULT_CLOSE_CODE,
  DEFAULT_CLOSE_REASON,
  MAX_CLOSE_REASON_BYTES,
  WebSocketDrain,
  type WebSocketDrainOptions,
  type WebSocketLike,
  type WebSocketServerLike,
} from './WebSocketDrain.js';
