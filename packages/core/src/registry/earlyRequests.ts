// The HTTP/1 responses in flight on every http/https server of the process, remembered from
// Node's diagnostics channels, so a terminator made after they began (at SIGTERM) tracks them.
import * as dc from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import type * as net from 'node:net';

/** What Node publishes on `http.server.request.start` and `http.server.response.finish` (Node >= 20). */
interface ServerMessage {
  readonly response: ServerResponse;
  readonly socket: net.Socket;
  readonly server: object;
}

/** For the registry: a response ended that began before this module was loaded. */
export type UnseenFinish = (response: ServerResponse, socket: net.Socket) => void;

interface ServerEntry {
  readonly responses: Set<ServerResponse>;
  /** Size at which the next sweep runs: aborted responses never publish `finish`. */
  sweepAt: number;
}

/**
 * A sweep forgets aborted responses; it runs when the set reaches twice what was left by the
 * last one (at least this many), so its cost per request stays constant.
 */
const MIN_SWEEP_AT = 64;

/** Weak: a server that is gone takes its entry with it. */
const byServer = new WeakMap<object, ServerEntry>();
/** Registries waiting to learn of responses they could not see, by server. Empty nearly always. */
const unseen = new Map<object, Set<UnseenFinish>>();

// Module-level functions: no closure is made per request, and the hot path is one WeakMap
// lookup and one Set add (start) or delete (finish).
function onRequestStart(message: unknown): void {
  const { response, server } = message as ServerMessage;
  let entry = byServer.get(server);
  if (entry === undefined) {
    entry = { responses: new Set(), sweepAt: MIN_SWEEP_AT };
    byServer.set(server, entry);
  }
  entry.responses.add(response);
  if (entry.responses.size >= entry.sweepAt) sweep(entry);
}

function onResponseFinish(message: unknown): void {
  const { response, server, socket } = message as ServerMessage;
  if (byServer.get(server)?.responses.delete(response) === true) return;
  // Not remembered: it began before this module was loaded.
  const hooks = unseen.get(server);
  if (hooks !== undefined) for (const hook of hooks) hook(response, socket);
}

/** A response that will never publish `finish`: it ended, or its connection closed first. */
function isOver(response: ServerResponse): boolean {
  return response.writableFinished || response.destroyed || response.req.socket.destroyed;
}

function sweep(entry: ServerEntry): void {
  for (const response of entry.responses) if (isOver(response)) entry.responses.delete(response);
  entry.sweepAt = Math.max(MIN_SWEEP_AT, entry.responses.size * 2);
}

// Subscribed once, when the core is loaded: a terminator made at signal time needs what came
// before it. Node builds a message for a channel only while it has a subscriber: see docs/core.md
// ("A terminator made at signal time") for what this costs per request.
dc.subscribe('http.server.request.start', onRequestStart);
dc.subscribe('http.server.response.finish', onResponseFinish);

/** The server's HTTP/1 responses in flight now, oldest first (as the server received them). */
export function responsesInFlight(server: object): ServerResponse[] {
  const entry = byServer.get(server);
  if (entry === undefined) return [];
  sweep(entry);
  return [...entry.responses];
}

/**
 * Calls `hook` when a response of `server` ends that began before this module was loaded (so
 * `responsesInFlight` never listed it). Returns its undo.
 */
export function onUnseenFinish(server: object, hook: UnseenFinish): () => void {
  let hooks = unseen.get(server);
  if (hooks === undefined) {
    hooks = new Set();
    unseen.set(server, hooks);
  }
  hooks.add(hook);
  return () => {
    const current = unseen.get(server);
    if (current === undefined) return;
    current.delete(hook);
    if (current.size === 0) unseen.delete(server);
  };
}
