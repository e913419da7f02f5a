// Why a target is missed and what would close it: one paragraph per target, printed on the page
// only when that run missed it. The figures are in the table above it (from the run); these
// paragraphs give the mechanism, found by reading the code path and timing its steps.
import type { BenchRun } from './model.js';

const TIMING_NOISE =
  'A figure this small moves with the machine: on a shared 2-core machine another process can hold the CPU for a millisecond or more. Rerun on a quiet machine before reading it as a regression.';

export function missExplanation(targetId: string, _run: BenchRun): string {
  switch (targetId) {
    case 'idle':
      return (
        "Why: lastcall resolves only when every tracked socket has emitted `close` (the registry's `whenEmpty()`), after the servers' `close`. " +
        "The floor, Node's own close and most peers resolve at the server's `close`, which Node emits as soon as its connection count reaches zero, that is as soon as every socket is destroyed, before the sockets' own `close` events run (a later phase of the event loop). " +
        'So with N idle connections lastcall also waits for N `close` events and its registry bookkeeping for each; its synchronous part also walks the connection list several times (kinds and open counts at the start, in-flight marking, the idle check, a second `closeIdleConnections()` after `close()`). ' +
        "What would close it: in the registry, take a server's `close` as the end of every connection of that server (all are destroyed by then) and settle them at once, so `terminate()` resolves at the server's `close`; and fold the walks into one."
      );
    case 'memory':
      return (
        "Why: per connection the registry keeps a `TrackedConnection` (eight fields and a `responses` array), a `Map` entry, and a `close` listener on the socket. The socket already carries Node's own `close` listeners in an array, and one more grows that array's backing store: that listener is the largest part. " +
        "What would close it: track an HTTP/1 connection only while a response is in flight (the response's own `close` says when it ends) and reach idle ones through the server (`getConnections()`, `closeIdleConnections()`, its `close` event), or at least drop the per-socket listener and allocate `responses` lazily."
      );
    case 'overshoot':
    case 'http2':
      return (
        "Why: lastcall's path after the last response has no timer: the response ends with `Connection: close` (or the session's last stream ends after GOAWAY), Node closes the socket, the server emits `close`, the registry sees each socket's `close`, and the promise resolves. The wait for the sockets' `close` events after the server's `close` is the part that can still shrink (see idle close). " +
        TIMING_NOISE
      );
    case 'websocket':
      return (
        "Why: after the close frame, `ws` ends the TCP connection once the client answers, and the registry sees the socket's `close`; nothing polls. A miss here is either a client that did not answer (its code is not 1001 in the table) or timing. " +
        TIMING_NOISE
      );
    case 'cpu':
      return (
        "Why: per request lastcall adds one `request` listener call, one array push and shift, and one response `close` listener; per round pair the ratio's range on a shared machine is far wider than the 3 % target. " +
        'What would settle it: `pnpm bench --full` (more round pairs) on a quiet machine; if the median stays above, the per-response `close` listener is the first thing to remove (the response `finish` the server already emits, or the parser-aware `closeIdleConnections()`, can stand in for it).'
      );
    case 'dropped':
      return "Why: a drop is a reset or a hang-up on an accepted connection; the table's drop causes say which. lastcall's drain answers requests that arrive during the idle grace with `Connection: close`; a drop means a request reached a connection after it was closed, which the idle grace exists to prevent. What would close it: find the run in results.json and the connection state at the drop (a shorter grace than the client's turnaround, or a connection closed outside the drain).";
    default:
      return TIMING_NOISE;
  }
}
