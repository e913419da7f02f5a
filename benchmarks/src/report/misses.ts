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
        "Why: lastcall resolves at the servers' `close` (connections with nothing in flight are settled then, without waiting for each socket's own `close`). Its own synchronous work in `terminate()` is a few walks over the connection list (dropping records of closed sockets, kinds and open counts, in-flight marking, GOAWAY, the flush check, the unused and handshake check) and dropping each record: 2 to 4 ms of a 70 to 170 ms close of 5000 connections, timed in a standalone split. The rest is Node's own `closeIdleConnections()` (what lastcall calls), and two consecutive floors on this machine differ by up to 2x, so a median over a few pairs can land above 1.2x. " +
        'What would settle it: compare CPU time or instruction counts (callgrind) per pair instead of wall time, and fold the walks into one pass.'
      );
    case 'memory':
      return (
        'Why: per idle connection the registry keeps a `TrackedConnection` (no `responses` array while nothing is in flight) and a `Map` entry; a socket gets a `close` listener only while draining (before that, records of closed sockets are dropped lazily as new connections arrive). ' +
        'What would close it: fewer fields per record (the HTTP/2 and TLS fields only where they apply).'
      );
    case 'overshoot':
    case 'http2':
      return (
        "Why: lastcall's path after the last response has no timer: the response ends with `Connection: close` (or the session's last stream ends after GOAWAY), Node closes the socket, the server emits `close`, the registry settles the connection (one with a response in flight at its own socket's `close`), and the promise resolves. " +
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
