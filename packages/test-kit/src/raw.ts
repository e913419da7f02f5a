// Raw TCP/TLS clients for bytes an http client would never send, and the readers that tell what
// came back on them and how the connection ended.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { CLIENT_WAIT_MS } from './bounds';
import type { Http1Kind } from './servers';
import { within } from './signals';

/** A raw connection (TCP or TLS) for bytes the http client would never send; bounded by `ms`. */
export function connectRaw(kind: Http1Kind, port: number, ms = CLIENT_WAIT_MS): Promise<net.Socket> {
  const socket =
    kind === 'http'
      ? net.connect(port, '127.0.0.1')
      : tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
  const connected = new Promise<net.Socket>((resolve, reject) => {
    socket.once(kind === 'http' ? 'connect' : 'secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
  return within(connected, ms, `a ${kind} connection to port ${port}`).catch((error: unknown) => {
    // A connection still pending at the timeout is given up; after its own error this does nothing.
    socket.destroy();
    throw error;
  });
}

/**
 * Resolves once what a raw socket received (from now on) ends with `suffix`, and stops
 * listening, so the socket can be read again; rejects after `ms`.
 */
export function readUntil(socket: net.Socket, suffix: string, ms = CLIENT_WAIT_MS): Promise<void> {
  let onData: ((chunk: Buffer) => void) | undefined;
  const seen = new Promise<void>((resolve) => {
    let text = '';
    onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (text.endsWith(suffix)) resolve();
    };
    socket.on('data', onData);
  });
  return within(seen, ms, `the raw socket to receive ${JSON.stringify(suffix)}`).finally(() => {
    if (onData) socket.off('data', onData);
  });
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

/** Everything a raw socket receives until it closes, however it closed; rejects if it is still open after `ms`. */
export async function readAll(socket: net.Socket, ms = CLIENT_WAIT_MS): Promise<string> {
  return (await collect(socket, ms)).text;
}

/**
 * Resolves when the socket has closed, with the error that closed it, if any; rejects if it is
 * still open after `ms`.
 */
export function whenClosed(socket: net.Socket, ms = CLIENT_WAIT_MS): Promise<Error | undefined> {
  const closed = new Promise<Error | undefined>((resolve) => {
    let failure: Error | undefined;
    socket.on('error', (error) => {
      failure = error;
    });
    if (socket.destroyed) resolve(failure);
    else socket.on('close', () => resolve(failure));
  });
  return within(closed, ms, 'the socket to close (whenClosed)');
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
