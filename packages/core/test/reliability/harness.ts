// Shared pieces of the core's reliability suites: servers with their terminator and clean-up, raw
// clients destroyed with the test, and the end-of-test checks every case makes.
import type * as http from 'node:http';
import type * as https from 'node:https';
import type * as net from 'node:net';
import { type CreateTerminatorOptions, createTerminator, type Terminator } from '@lastcall/core';
import {
  closeQuietly,
  connectRaw,
  type Handler,
  type Http1Kind,
  internals,
  openConnections,
  startHttp1,
  within,
} from '@lastcall/test-kit';

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

/**
 * The end state every case asserts: nothing tracked, nothing open, the listener closed,
 * the terminator closed.
 */
export async function expectAllClosed(terminator: Terminator): Promise<void> {
  expect(terminator.state).toBe('closed');
  expect(internals(terminator).registry.size).toBe(0);
  for (const server of terminator.servers) {
    expect(server.listening).toBe(false);
    expect(await openConnections(server)).toBe(0);
  }
}

/** `terminate()` with its duration measured by the test itself, bounded so a hang fails. */
export async function timedTerminate(
  terminator: Terminator,
  gracefulTimeout?: number,
): Promise<{ report: Awaited<ReturnType<Terminator['terminate']>>; elapsed: number }> {
  const started = performance.now();
  const limit = (gracefulTimeout ?? terminator.gracefulTimeout) + 5_000;
  const report = await within(terminator.terminate(gracefulTimeout), limit, 'terminate() to settle');
  return { report, elapsed: performance.now() - started };
}
