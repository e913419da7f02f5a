// Real HTTP/2 servers (h2c, TLS, TLS with allowHTTP1) and real http2 clients for the tests.
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { tlsMaterial, within } from '@lastcall/test-kit';

/**
 * How long a helper below waits by default, in milliseconds: a hang fails the test here, saying
 * what was awaited, instead of at jest's 30 s timeout.
 */
export const H2_WAIT_MS = 5_000;

export type Http2Kind = 'h2c' | 'h2' | 'h2+http1';
export type Http2Server = http2.Http2Server | http2.Http2SecureServer;

/** What a test handler does with a response, HTTP/2 (compat API) or HTTP/1.1 (allowHTTP1) alike. */
export interface AnyResponse {
  write(chunk: string): unknown;
  end(chunk: string): unknown;
}

/** Handles every request: HTTP/2 streams and (allowHTTP1) HTTP/1.1 requests alike. */
export type CompatHandler = (req: { readonly httpVersion: string }, res: AnyResponse) => void;

export interface StartedHttp2 {
  server: Http2Server;
  port: number;
  /** The authority a client connects to: `http://` for h2c, `https://` otherwise. */
  url: string;
}

/** Creates an HTTP/2 server of the kind and listens on an ephemeral port of 127.0.0.1. */
export async function startHttp2(kind: Http2Kind, handler: CompatHandler): Promise<StartedHttp2> {
  const server =
    kind === 'h2c'
      ? http2.createServer(handler)
      : http2.createSecureServer({ ...tlsMaterial, allowHTTP1: kind === 'h2+http1' }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, port, url: `${kind === 'h2c' ? 'http' : 'https'}://127.0.0.1:${port}` };
}

/** A client session that records what the server told it: GOAWAY, close, error. */
export interface H2Client {
  session: http2.ClientHttp2Session;
  /** Resolves with the GOAWAY error code when the server sends GOAWAY. */
  goaway: Promise<number>;
  /** Resolves when the client session has closed. */
  closed: Promise<void>;
  sawGoaway: () => boolean;
}

/**
 * Connects a real http2 client and waits until the session is established. With `socket`, the
 * session runs over TLS on that already connected TCP socket (a handshake started late).
 * Rejects with the connection's error, or after `ms` (the session is then destroyed).
 */
export async function connectH2(url: string, socket?: net.Socket, ms = H2_WAIT_MS): Promise<H2Client> {
  const session = http2.connect(url, {
    rejectUnauthorized: false,
    ...(socket && {
      createConnection: () => tls.connect({ socket, ALPNProtocols: ['h2'], rejectUnauthorized: false }),
    }),
  });
  let saw = false;
  const goaway = new Promise<number>((resolve) =>
    session.on('goaway', (code: number) => {
      saw = true;
      resolve(code);
    }),
  );
  const closed = new Promise<void>((resolve) => session.on('close', resolve));
  session.on('error', () => undefined);
  const connected = new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  try {
    await within(connected, ms, `the HTTP/2 session to ${url} to connect`);
  } catch (error) {
    // After a timeout the session would otherwise stay open; after its own error this does nothing.
    session.destroy();
    throw error;
  }
  return { session, goaway, closed, sawGoaway: () => saw };
}

export interface H2Reply {
  status: number;
  body: string;
  /** Set when the stream ended with an error or a reset (session destroyed) instead of its end. */
  error: string | undefined;
}

/**
 * One GET on the session; resolves when the stream closes, whatever way it ends. Rejects if it
 * is still open after `ms` (the stream is then cancelled).
 */
export function h2Get(session: http2.ClientHttp2Session, path: string, ms = H2_WAIT_MS): Promise<H2Reply> {
  let opened: http2.ClientHttp2Stream | undefined;
  const reply = new Promise<H2Reply>((resolve) => {
    const stream = session.request({ ':path': path });
    opened = stream;
    let status = 0;
    let body = '';
    let error: string | undefined;
    let ended = false;
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    stream.on('end', () => {
      ended = true;
    });
    stream.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    stream.on('close', () => {
      // Node's client reports a stream cut by its session's end with a non-zero rstCode
      // (CANCEL), sometimes after an 'end' event: the code is what tells truncation apart.
      if (error === undefined && (!ended || stream.rstCode !== 0)) error = `rstCode ${stream.rstCode}`;
      resolve({ status, body, error });
    });
    stream.end();
  });
  return within(reply, ms, `the HTTP/2 stream GET ${path} to close`).catch((error: unknown) => {
    // A stream still open at the timeout is cancelled; after its close this does nothing.
    opened?.close(http2.constants.NGHTTP2_CANCEL);
    throw error;
  });
}

/** Closes a server a test left open, without waiting for its sessions. */
export function closeHttp2Quietly(server: Http2Server, sessions: Iterable<http2.ServerHttp2Session>): Promise<void> {
  for (const session of sessions) session.destroy();
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}
