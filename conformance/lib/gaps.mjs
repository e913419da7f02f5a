// What cannot hold on a runtime, each with the runtime's own issue: the checks name these as
// their `gaps`, and docs/runtimes.md explains them. A gap that closes shows up as a pass.

/**
 * Bun's node:http server has no listener-only close: its close() (Bun.serve's graceful stop())
 * also closes idle keep-alive connections at once. lastcall keeps the listener open for the idle
 * grace instead (every response gets `Connection: close`), then closes it; a client that
 * reconnected meanwhile and is still in the kernel's accept queue then is reset (measured: every
 * failure is on a new socket, and none the server had handed to JavaScript was unused).
 */
export const BUN_IDLE_CLOSED_WITH_LISTENER =
  'Bun closes idle keep-alive connections together with the listener (no listener-only close), so the listener stays open for the idle grace, and a client that reconnects then can be in the accept queue when it closes: https://github.com/oven-sh/bun/pull/36616';

/**
 * Bun's node:http server publishes no `http.server.*` diagnostics channel, so a terminator made
 * while requests are in flight (at signal time) cannot adopt them: they finish, but without
 * `Connection: close`, and the report does not count them.
 */
export const BUN_NO_HTTP_SERVER_CHANNELS =
  'Bun publishes no http.server.* diagnostics channel: https://github.com/oven-sh/bun/issues/29586';
