// The HAProxy agent-check responder: a TCP server that writes one status line per connection
// (`up ready`, `drain`, `down`) and closes it, whatever the client sends or does not send.
import * as net from 'node:net';
import { assertDuration, assertKnownOptions, InvalidOptionRangeError, InvalidOptionTypeError } from '@lastcall/core';
import { listenOn, resolveAddress } from './listen.js';

/** Options of `health.listenAgentCheck()`; `port` is required. */
export interface AgentCheckOptions {
  /** Port to listen on (HAProxy's `agent-port`); `0` picks a free one. Required. */
  port?: number;
  /** Address to bind. Defaults to `127.0.0.1`; HAProxy on another host needs `0.0.0.0` or this host's address. */
  host?: string;
  /**
   * Longest a client connection is kept, in milliseconds, answered or not: a client that sends
   * nothing, sends garbage or never reads is cut then. Defaults to 1000.
   */
  socketTimeout?: number;
  /** Most client connections open at once; more are refused by the kernel's backlog. Defaults to 64. */
  maxConnections?: number;
}

/** Longest an agent-check connection is kept open, in milliseconds. */
const DEFAULT_SOCKET_TIMEOUT = 1_000;
/** Most agent-check connections open at once. */
const DEFAULT_MAX_CONNECTIONS = 64;

/** A running agent-check responder. */
export interface AgentCheckServer {
  /** The TCP server that writes the status line. */
  readonly server: net.Server;
  /** The address it is bound to (`127.0.0.1` unless `host` said otherwise). */
  readonly host: string;
  /** The bound port (the one picked when `port` was 0). */
  readonly port: number;
  /** Stops listening and closes its connections. Idempotent. */
  close(): Promise<void>;
}

const WHERE = 'health.listenAgentCheck';
const KNOWN = ['port', 'host', 'socketTimeout', 'maxConnections'] as const;

export async function startAgentCheck(
  // The one thing asked of the health (a structural type: no import of Health.ts, which imports this).
  health: { agentStatus(): Promise<string> },
  options: AgentCheckOptions,
  answered: (line: string) => void,
): Promise<AgentCheckServer> {
  assertKnownOptions(WHERE, options, KNOWN);
  const address = resolveAddress(WHERE, options.host, options.port);
  const timeout = assertDuration(
    WHERE,
    'socketTimeout',
    options.socketTimeout === undefined ? DEFAULT_SOCKET_TIMEOUT : options.socketTimeout,
  );
  const max = options.maxConnections === undefined ? DEFAULT_MAX_CONNECTIONS : options.maxConnections;
  if (typeof max !== 'number') throw new InvalidOptionTypeError(WHERE, 'maxConnections', 'a positive integer', max);
  if (!Number.isInteger(max) || max < 1) {
    throw new InvalidOptionRangeError(WHERE, 'maxConnections', 'a positive integer', max);
  }

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    // From the accept, not from the last byte (socket.setTimeout): a client that keeps sending
    // would otherwise never be idle, and never be cut.
    const cutoff = setTimeout(() => socket.destroy(), timeout);
    cutoff.unref();
    socket.once('close', () => {
      clearTimeout(cutoff);
      sockets.delete(socket);
    });
    // A reset or a write to a closed peer is the client's business, never a crash of ours.
    socket.on('error', () => socket.destroy());
    // HAProxy may send `agent-send` text first; nothing it says changes the answer, so it is
    // read and dropped (a client that floods is cut by the timeout).
    socket.resume();
    health.agentStatus().then(
      (line) => {
        if (socket.destroyed) return;
        socket.end(`${line}\n`, () => answered(line));
      },
      () => socket.destroy(),
    );
  });
  server.maxConnections = max;
  const port = await listenOn(server, 'agent-check server', address);
  let closing: Promise<void> | undefined;
  return {
    server,
    host: address.host,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
