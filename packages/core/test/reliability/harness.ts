// Shared pieces of the reliability suites: servers with their terminator and clean-up, raw
// clients that misbehave on purpose, and the end-of-test checks every case makes.
import type * as http from 'node:http';
import type * as https from 'node:https';
import type * as net from 'node:net';
import { type CreateTerminatorOptions, createTerminator, type ServerLike, type Terminator } from '@lastcall/core';
import { connectRaw } from '../helpers/clients';
import { closeQuietly, type Handler, type Http1Kind, startHttp1 } from '../helpers/servers';
import { within } from '../helpers/signals';

/**
 * How much later than its graceful timeout `terminate()` may settle. The force runs at the
 * deadline and destroyed sockets close within a tick; the rest is room for a loaded 2-core CI
 * machine (timers fire late there), never for a wait of lastcall's own.
 */
export const SETTLE_BOUND_MS = 750;

/**
 * An idle grace far above the default (100 ms), for tests whose request must reach the server
 * after terminate() began on a connection that was idle: with the default, a loaded machine can
 * run the idle close first and the client gets ECONNRESET. It costs no time: a connection ends
 * as soon as its `Connection: close` response is sent, or when its client closes it.
 */
export const PATIENT_GRACE_MS = 2_000;

/** Clean-ups of one test, run in reverse order by `run()` (call it from `afterEach`). */
export class Cleanups {
  readonly #list: Array<() => unknown> = [];

  add(cleanup: () => unknown): void {
    this.#list.push(cleanup);
  }

  async run(): Promise<void> {
    for (const cleanup of this.#list.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // A clean-up that fails must not hide the next one, nor the test's own failure.
      }
    }
  }
}

export interface Served {
  server: http.Server | https.Server;
  port: number;
  terminator: Terminator;
}

/** A listening http/https server and its terminator, made at once as a service does. */
export async function serveHttp1(
  cleanups: Cleanups,
  kind: Http1Kind,
  handler: Handler,
  options: Omit<CreateTerminatorOptions, 'server' | 'servers'> = {},
): Promise<Served> {
  const { server, port } = await startHttp1(kind, handler);
  cleanups.add(() => closeQuietly(server));
  const terminator = createTerminator({ server, gracefulTimeout: 5_000, ...options });
  cleanups.add(() => (terminator.state === 'running' ? terminator.dispose() : undefined));
  return { server, port, terminator };
}

/** A raw TCP/TLS connection destroyed by the clean-up, whatever the test did with it. */
export async function rawClient(cleanups: Cleanups, kind: Http1Kind, port: number): Promise<net.Socket> {
  const socket = await connectRaw(kind, port);
  socket.on('error', () => undefined);
  cleanups.add(() => socket.destroy());
  return socket;
}

/** What a raw client read: every byte until the socket closed, and how it closed. */
export interface RawOutcome {
  text: string;
  error: string | undefined;
}

/** Collects what the socket receives until it closes (bounded by `ms`). */
export function collect(socket: net.Socket, ms = 10_000): Promise<RawOutcome> {
  return within(
    new Promise<RawOutcome>((resolve) => {
      let text = '';
      let error: string | undefined;
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      socket.on('error', (e: NodeJS.ErrnoException) => {
        error = e.code ?? e.message;
      });
      if (socket.destroyed) resolve({ text, error });
      else socket.on('close', () => resolve({ text, error }));
    }),
    ms,
    'the raw client to close',
  );
}

/** The server's own count of open connections, tracked or not. */
export function openConnections(server: ServerLike): Promise<number> {
  return new Promise((resolve, reject) => {
    server.getConnections((error, count) => (error ? reject(error) : resolve(count)));
  });
}

/**
 * The end state every case asserts: nothing tracked, nothing open, the listener closed,
 * the terminator closed.
 */
export async function expectAllClosed(terminator: Terminator): Promise<void> {
  expect(terminator.state).toBe('closed');
  expect(terminator.registry.size).toBe(0);
  for (const server of terminator.servers) {
    expect(server.listening).toBe(false);
    expect(await openConnections(server)).toBe(0);
  }
}

/** Listener counts of every event a terminator may listen to, to compare before and after. */
export function listenerCounts(emitter: NodeJS.EventEmitter): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of emitter.eventNames()) counts[String(event)] = emitter.listenerCount(event);
  return counts;
}

/** `terminate()` with its duration measured by the test itself, bounded so a hang fails. */
export async function timedTerminate(
  terminator: Terminator,
  gracefulTimeout?: number,
): Promise<{ report: Awaited<ReturnType<Terminator['terminate']>>; elapsed: number }> {
  const started = performance.now();
  const limit = (gracefulTimeout ?? terminator.gracefulTimeoutMs) + 5_000;
  const report = await within(terminator.terminate(gracefulTimeout), limit, 'terminate() to settle');
  return { report, elapsed: performance.now() - started };
}

/** The head and body of one raw HTTP/1.1 response (the first one in `text`). */
export function parseResponse(text: string): { status: number; headers: Record<string, string>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: '' };
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4) };
}
