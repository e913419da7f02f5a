// The PM2 end-to-end test's load: keep-alive clients that behave like a browser (an idempotent GET
// reset on a reused connection is retried once), and the judge of each such reset against the service's trace.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import { sleep, within } from '@lastcall/test-kit';

/** A request that did not get its 200, as the client saw it: enough to find its connection in the service's trace. */
export interface Failure {
  readonly code: string;
  /** The client's port on the connection (`undefined` if it never connected). */
  readonly localPort: number | undefined;
  /** Whether the request went out on a kept-alive connection that served one before. */
  readonly reused: boolean;
  /** Whether any of the response arrived. */
  readonly responded: boolean;
  /** Which request on its connection this was (1 = the first). */
  readonly nth: number;
  /** The pid that answered the previous request on that connection. */
  readonly lastPid: number | undefined;
  /** When the client asked for it (`Date.now()`, the clock the service's trace uses too). */
  readonly sentAt: number;
  readonly failedAt: number;
}

export interface LoadOptions {
  readonly clients: number;
  /** Each client's pause between two requests, in ms. */
  readonly thinkMs: number;
  /** Each request's own bound, in ms. */
  readonly requestTimeoutMs: number;
  /** Requests per client at most (the loops' bound). */
  readonly maxRequestsPerClient: number;
  /**
   * How long a kept-alive connection may sit unused in the agent's pool before the agent closes
   * it, in ms (`http.Agent`'s `timeout`): below the server's idle grace, as a client should set it.
   */
  readonly freeSocketTimeoutMs: number;
}

export interface Load {
  readonly ok: () => number;
  /** Requests that failed for good: every failure but a reset that was retried. */
  readonly failures: readonly Failure[];
  /** Resets of a reused connection before any response byte, each retried once (the retry's own outcome is counted as any request's). */
  readonly retried: readonly Failure[];
  /** Resolves once `count` more requests succeeded; rejects after `ms`. */
  moreOk(count: number, ms: number): Promise<void>;
  stop(): Promise<void>;
}

interface SocketInfo {
  sent: number;
  lastPid: number | undefined;
}

/**
 * `clients` keep-alive clients in loops on one `http.Agent`, each bounded in requests and each
 * request in time. A GET reset on a reused connection before any response byte is retried once,
 * as browsers and Node's documentation (`request.reusedSocket`) do: the server may close an idle
 * connection just as the client sends on it (RFC 9112, 9.3.1).
 */
export function startLoad(port: number, options: LoadOptions): Load {
  // The agent hands out the most recently used free connection first (LIFO): with more free
  // connections than clients waiting, one can sit unused for seconds, then be picked just as the
  // server closes it. The free-socket timeout retires those first.
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients, timeout: options.freeSocketTimeoutMs });
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const failures: Failure[] = [];
  const retried: Failure[] = [];
  const sockets = new WeakMap<net.Socket, SocketInfo>();
  let ok = 0;
  let stopped = false;

  const one = (): Promise<Failure | undefined> =>
    new Promise((resolve) => {
      const sentAt = Date.now();
      let info: SocketInfo | undefined;
      let localPort: number | undefined;
      let responded = false;
      let settled = false;
      const settle = (code: string | undefined): void => {
        if (settled) return;
        settled = true;
        if (code === undefined) {
          resolve(undefined);
          return;
        }
        resolve({
          code,
          localPort,
          reused: req.reusedSocket,
          responded,
          nth: info?.sent ?? 0,
          lastPid: info?.lastPid,
          sentAt,
          failedAt: Date.now(),
        });
      };
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: options.requestTimeoutMs }, (res) => {
        responded = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          if (info) info.lastPid = Number(body);
          if (res.statusCode !== 200) return settle(`status ${res.statusCode}`);
          ok++;
          events.emit('ok');
          settle(undefined);
        });
        res.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? error.message));
      });
      req.on('socket', (socket: net.Socket) => {
        localPort = socket.localPort;
        if (socket.connecting) {
          socket.once('connect', () => {
            localPort = socket.localPort;
          });
        }
        info = sockets.get(socket);
        if (!info) {
          info = { sent: 0, lastPid: undefined };
          sockets.set(socket, info);
        }
        info.sent++;
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? error.message));
    });

  const loops = Array.from({ length: options.clients }, async () => {
    for (let i = 0; i < options.maxRequestsPerClient && !stopped; i++) {
      const failure = await one();
      if (failure?.reused && !failure.responded && failure.code === 'ECONNRESET') {
        retried.push(failure);
        const again = await one();
        if (again) failures.push(again);
      } else if (failure) {
        failures.push(failure);
      }
      // Pacing, not a wait for an event: the connection stays open (keep-alive) between requests.
      await sleep(options.thinkMs);
    }
  });

  return {
    ok: () => ok,
    failures,
    retried,
    moreOk: (count, ms) => {
      const target = ok + count;
      let check: (() => void) | undefined;
      return within(
        new Promise<void>((resolve) => {
          check = (): void => {
            if (ok >= target) resolve();
          };
          events.on('ok', check);
        }),
        ms,
        `${count} more successful requests`,
      ).finally(() => {
        if (check) events.off('ok', check);
      });
    },
    stop: async () => {
      stopped = true;
      await within(Promise.all(loops), options.requestTimeoutMs * 2 + 5_000, 'the load clients to finish');
      agent.destroy();
    },
  };
}

/** One line of the service's trace (`PM2_TRACE_FILE`, see fixtures/pm2-service.ts). */
export interface TraceLine {
  readonly pid: number;
  readonly at: number;
  readonly event: string;
  readonly port?: number;
  readonly code?: number;
  /** conn-close: requests the handler got on the connection, and those still in flight when it closed. */
  readonly requests?: number;
  readonly inFlight?: number;
  /** conn-close: when its last response ended (`Date.now()`). */
  readonly idleSince?: number;
}

export function readTrace(file: string): TraceLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TraceLine);
}

/**
 * Whether a retried reset is the keep-alive race and nothing else: the service closed that
 * connection without the request ever reaching its handler, and the client sent it after the
 * connection had been idle for longer than the service's idle grace (a client that sends within
 * the grace must be answered). Anything else is a failure the retry must not hide.
 */
export function isLateReuse(reset: Failure, trace: readonly TraceLine[], idleGraceMs: number): boolean {
  const close = closeOf(reset, trace);
  return (
    close?.requests === reset.nth - 1 &&
    close.inFlight === 0 &&
    close.idleSince !== undefined &&
    reset.sentAt - close.idleSince >= idleGraceMs
  );
}

/** The service's close of the failure's connection: the nearest in time, as ports are reused. */
function closeOf(failure: Failure, trace: readonly TraceLine[]): TraceLine | undefined {
  let best: TraceLine | undefined;
  for (const line of trace) {
    if (line.event !== 'conn-close' || line.pid !== failure.lastPid || line.port !== failure.localPort) continue;
    if (!best || Math.abs(line.at - failure.failedAt) < Math.abs(best.at - failure.failedAt)) best = line;
  }
  return best;
}

/** A failure beside what the service traced of its connection, timed from that worker's SIGINT. */
export function explain(failure: Failure, trace: readonly TraceLine[]): string {
  const sigintAt = trace.find((line) => line.event === 'sigint' && line.pid === failure.lastPid)?.at;
  const rel = (at: number): string => (sigintAt === undefined ? `${at} (no SIGINT)` : `${at - sigintAt}`);
  const close = closeOf(failure, trace);
  const server = close
    ? `closed at ${rel(close.at)} after ${close.requests} requests (${close.inFlight} in flight), idle since ${close.idleSince === undefined ? '?' : rel(close.idleSince)}`
    : 'no close traced';
  return `${failure.code} on port ${failure.localPort} (request ${failure.nth}, reused ${failure.reused}, responded ${failure.responded}, pid ${failure.lastPid}): ms from SIGINT: sent ${rel(failure.sentAt)}, failed ${rel(failure.failedAt)}; server: ${server}`;
}
