// The examples' smoke-test harness, written once: start an example server as a real process, put
// keep-alive load on it, send a real SIGTERM while one slow request is in flight, and count.
//
// The contract with an example server: it prints `READY http=<port> [https=<port>] [h2=<port>]`
// once listening (ports from PORT / HTTPS_PORT / H2_PORT, 0 for any), answers GET / at once, and
// on GET /slow prints `SLOW STARTED` and answers `slow done` SLOW_MS (default 1000) ms later.
import { type ChildProcess, spawn } from 'node:child_process';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import * as path from 'node:path';
import { deferred, within } from './signals';

/** The workspace root: the kit lives in packages/test-kit/src (CommonJS under ts-jest). */
export const WORKSPACE_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Keep-alive clients per listener by default: enough for idle and busy connections at SIGTERM. */
export const SMOKE_CLIENTS = 8;
/** Responses each listener must have served before the slow request is sent (the load is real). */
export const SMOKE_MIN_OK = 50;
/** How long any one phase of a smoke run may take, in milliseconds, before the run fails naming it. */
export const SMOKE_STEP_BOUND_MS = 20_000;
/** One client request's own bound, in milliseconds: a hang is a failure, not a stuck test. */
export const SMOKE_REQUEST_TIMEOUT_MS = 10_000;

export type ListenerKind = 'http' | 'https' | 'h2';

export interface ExampleProcess {
  readonly child: ChildProcess;
  /** Ports by listener, from the READY line. */
  readonly ports: Partial<Record<ListenerKind, number>>;
  /** Every line the process printed (stdout and stderr), for a failure message. */
  readonly lines: string[];
  /** Resolves when a line matching `pattern` has been printed (already or later), bounded. */
  waitForLine(pattern: RegExp, what: string): Promise<string>;
  /** Exit code and signal, once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running; for `finally`. */
  kill(): void;
}

/** Runs `node --import tsx <entry>` in the example's folder (its tsconfig maps @lastcall/* to src). */
export async function startExample(entry: string, env: Record<string, string> = {}): Promise<ExampleProcess> {
  const cwd = path.resolve(path.dirname(entry), '..');
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd,
    env: { ...process.env, PORT: '0', ...env, TSX_TSCONFIG_PATH: path.join(cwd, 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const watchers = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const onChunk = (chunk: string): void => {
    for (const line of chunk.split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      for (const watcher of watchers) {
        if (watcher.pattern.test(line)) {
          watchers.delete(watcher);
          watcher.resolve(line);
        }
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', onChunk);
  child.stderr?.setEncoding('utf8').on('data', onChunk);

  const waitForLine = (pattern: RegExp, what: string): Promise<string> => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    const found = new Promise<string>((resolve, reject) => {
      watchers.add({ pattern, resolve });
      void exited.then(({ code, signal }) =>
        reject(new Error(`the example exited (code ${code}, signal ${signal}) before ${what}:\n${lines.join('\n')}`)),
      );
    });
    return within(found, SMOKE_STEP_BOUND_MS, `${what}; output so far:\n${lines.join('\n')}`);
  };

  const kill = (): void => {
    if (!gone && child.pid !== undefined) child.kill('SIGKILL');
  };
  try {
    const ready = await waitForLine(/^READY /, 'the READY line');
    const ports: Partial<Record<ListenerKind, number>> = {};
    for (const match of ready.matchAll(/(http|https|h2)=(\d+)/g)) ports[match[1] as ListenerKind] = Number(match[2]);
    return { child, ports, lines, waitForLine, exited, kill };
  } catch (error) {
    kill();
    throw error;
  }
}

/** What the clients saw: ok answers, connections refused (the listener closed: expected), failures by cause. */
export interface LoadCounts {
  ok: number;
  refused: number;
  failed: number;
  failures: Record<string, number>;
}

interface Answer {
  status: number;
  body: string;
}

// Self-signed test certificate: the clients trust anything, on loopback only.
const TLS_CLIENT = { rejectUnauthorized: false } as const;

/** One HTTP/1 request on an agent, with its own bound. */
function request1(kind: 'http' | 'https', port: number, agent: http.Agent, pathname: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const get = kind === 'https' ? https.get : http.get;
    const req = get({ host: '127.0.0.1', port, path: pathname, agent, ...TLS_CLIENT }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.setTimeout(SMOKE_REQUEST_TIMEOUT_MS, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
  });
}

/** One HTTP/2 stream on a session, with its own bound. */
function request2(session: http2.ClientHttp2Session, pathname: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': pathname });
    let status = 0;
    let body = '';
    stream.on('response', (headers) => {
      status = Number(headers[':status'] ?? 0);
    });
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
    stream.setTimeout(SMOKE_REQUEST_TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    stream.on('close', () => {
      if (status === 0) reject(Object.assign(new Error('stream closed without a response'), { code: 'ESTREAMCLOSED' }));
    });
  });
}

// An HTTP/2 request the server never processed: after GOAWAY, or refused with REFUSED_STREAM. A
// client retries it on a new connection, which is what the loop below does.
function isUnprocessedH2(error: unknown, session: http2.ClientHttp2Session, goaway: boolean): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_INVALID_SESSION') return true;
  if (code === 'ERR_HTTP2_STREAM_ERROR' && /REFUSED_STREAM/.test((error as Error).message)) return true;
  return goaway && (session.closed || session.destroyed);
}

/** Keep-alive load on every listener until each client is refused (listener closed) or `stop()`. */
export class KeepAliveLoad {
  readonly counts: LoadCounts = { ok: 0, refused: 0, failed: 0, failures: {} };
  readonly done: Promise<void>;
  private stopped = false;
  private readonly okByPort = new Map<number, number>();
  private readonly okWatchers = new Set<{ port: number; n: number; resolve: () => void }>();

  constructor(
    private readonly ports: Partial<Record<ListenerKind, number>>,
    clients = SMOKE_CLIENTS,
  ) {
    const loops: Promise<void>[] = [];
    for (const [kind, port] of Object.entries(ports) as [ListenerKind, number][]) {
      for (let i = 0; i < clients; i++) loops.push(kind === 'h2' ? this.client2(port) : this.client1(kind, port));
    }
    this.done = Promise.all(loops).then(() => undefined);
  }

  /** Resolves once every listener has answered `n` requests ok (bounded). */
  whenEachOk(n = SMOKE_MIN_OK): Promise<void> {
    const waits = Object.values(this.ports).map((port) => {
      if ((this.okByPort.get(port) ?? 0) >= n) return Promise.resolve();
      const wait = deferred();
      this.okWatchers.add({ port, n, resolve: wait.resolve });
      return wait.promise;
    });
    return within(
      Promise.all(waits).then(() => undefined),
      SMOKE_STEP_BOUND_MS,
      `${n} ok answers on each listener`,
    );
  }

  stop(): void {
    this.stopped = true;
  }

  private ok(port: number): void {
    this.counts.ok++;
    const count = (this.okByPort.get(port) ?? 0) + 1;
    this.okByPort.set(port, count);
    for (const watcher of this.okWatchers) {
      if (watcher.port === port && count >= watcher.n) {
        this.okWatchers.delete(watcher);
        watcher.resolve();
      }
    }
  }

  private fail(cause: string): void {
    this.counts.failed++;
    this.counts.failures[cause] = (this.counts.failures[cause] ?? 0) + 1;
  }

  private async client1(kind: 'http' | 'https', port: number): Promise<void> {
    const agent = new (kind === 'https' ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 1 });
    try {
      while (!this.stopped) {
        try {
          const { status } = await request1(kind, port, agent, '/');
          if (status === 200) this.ok(port);
          else this.fail(`status ${status}`);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          // The listener is closed: the server is leaving, a real client goes to another instance.
          if (code === 'ECONNREFUSED') {
            this.counts.refused++;
            return;
          }
          this.fail(code);
        }
      }
    } finally {
      agent.destroy();
    }
  }

  private async client2(port: number): Promise<void> {
    while (!this.stopped) {
      const session = http2.connect(`https://127.0.0.1:${port}`, TLS_CLIENT);
      const connected = new Promise<boolean>((resolve) => {
        session.once('connect', () => resolve(true));
        session.once('error', () => resolve(false));
      });
      let goaway = false;
      session.on('goaway', () => {
        goaway = true;
      });
      session.on('error', () => {});
      if (!(await connected)) {
        this.counts.refused++;
        session.destroy();
        return;
      }
      try {
        while (!this.stopped && !goaway && !session.closed) {
          try {
            const { status } = await request2(session, '/');
            if (status === 200) this.ok(port);
            else this.fail(`status ${status}`);
          } catch (error) {
            if (!isUnprocessedH2(error, session, goaway)) this.fail((error as NodeJS.ErrnoException).code ?? 'error');
          }
        }
      } finally {
        session.close();
      }
    }
  }
}

/** What a smoke run measured. */
export interface SmokeResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** SIGTERM to process exit, in milliseconds. */
  exitMs: number;
  /** The slow request sent before SIGTERM: its answer, or the error it got. */
  inFlight: Answer | { error: string };
  load: LoadCounts;
  lines: string[];
}

export interface SmokeOptions {
  /** Absolute path of the example's server file. */
  entry: string;
  env?: Record<string, string>;
  /** Keep-alive clients per listener; default SMOKE_CLIENTS. */
  clients?: number;
  /** Runs after the load is up and the slow request is in flight, just before SIGTERM. */
  beforeSignal?: (example: ExampleProcess) => Promise<void> | void;
}

/** The whole smoke run: start, load, slow request in flight, SIGTERM, wait for exit, count. */
export async function runSmoke(options: SmokeOptions): Promise<SmokeResult> {
  const example = await startExample(options.entry, options.env);
  const load = new KeepAliveLoad(example.ports, options.clients);
  try {
    await load.whenEachOk();
    const kind = (Object.keys(example.ports) as ListenerKind[])[0] ?? 'http';
    const port = example.ports[kind] ?? 0;
    const slowAgent = new (kind === 'https' ? https.Agent : http.Agent)({ keepAlive: true });
    let slow: Promise<Answer>;
    if (kind === 'h2') {
      const session = http2.connect(`https://127.0.0.1:${port}`, TLS_CLIENT);
      session.on('error', () => {});
      slow = request2(session, '/slow').finally(() => session.close());
    } else {
      slow = request1(kind, port, slowAgent, '/slow');
    }
    const inFlight = slow.catch((error: unknown) => ({ error: String((error as Error).message ?? error) }));
    // Event-driven: the server says when the slow handler has started, then the signal goes.
    await example.waitForLine(/SLOW STARTED/, 'the slow request to reach the handler');
    await options.beforeSignal?.(example);
    const signalledAt = performance.now();
    example.child.kill('SIGTERM');
    const { code, signal } = await within(example.exited, SMOKE_STEP_BOUND_MS, 'the example to exit after SIGTERM');
    const exitMs = performance.now() - signalledAt;
    const answer = await within(inFlight, SMOKE_STEP_BOUND_MS, 'the in-flight request');
    slowAgent.destroy();
    // The process is gone: every client's next connection is refused and its loop ends.
    await within(load.done, SMOKE_STEP_BOUND_MS, 'the load clients to stop');
    return { code, signal, exitMs, inFlight: answer, load: load.counts, lines: example.lines };
  } finally {
    load.stop();
    example.kill();
  }
}

/**
 * One line per run for the test log: the figures the examples' README table is made of. When a
 * request failed, lastcall's own progress lines follow (how many connections and requests were
 * open when the drain began), to tell a lastcall bug from a starved client.
 */
export function describeSmoke(name: string, result: SmokeResult): string {
  const inFlight = 'error' in result.inFlight ? `error ${result.inFlight.error}` : `${result.inFlight.status}`;
  const line =
    `${name}: exit code ${result.code} (signal ${result.signal}) ${Math.round(result.exitMs)} ms after SIGTERM; ` +
    `in-flight ${inFlight}; ok ${result.load.ok}, refused ${result.load.refused}, failed ${result.load.failed}`;
  if (result.load.failed === 0) return line;
  const progress = result.lines.filter((text) => /\[lastcall\]/.test(text));
  return `${line} ${JSON.stringify(result.load.failures)}\n${progress.join('\n')}`;
}
