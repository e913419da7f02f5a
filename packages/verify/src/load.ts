// Keep-alive clients for the whole run, to 127.0.0.1 only: each sends GETs and POSTs with a body on
// the paths given and counts what came back. A request is ok when its answer is a 2xx that arrived
// complete (and passes `check`, when given). Everything else is a failure with a cause, except a
// refused connection (nothing listening: the request never reached a server), which is counted apart.
import * as http from 'node:http';

/** A request not answered within this many milliseconds counts as failed ("timeout"), by default. */
export const REQUEST_TIMEOUT_MS = 5_000;

/** Why a request failed. */
export type FailureCause =
  /** The connection was reset or closed before any answer came. */
  | 'reset'
  /** The connection closed after the answer had started, before it was complete. */
  | 'hangup'
  /** No answer within the request timeout. */
  | 'timeout'
  /** A complete answer that the check refused (a body other than the one expected). */
  | 'incomplete'
  /** An HTTP status other than 2xx: `status 502`, `status 503`... */
  | `status ${number}`
  /** Any other client error, by its code. */
  | (string & {});

export interface LoadCounts {
  ok: number;
  failed: number;
  /** Failures by cause. */
  causes: Record<string, number>;
  /** Connections refused (nothing listening): not failures, counted apart. */
  refused: number;
  /** POSTs among the ok requests. */
  posts: number;
  /** Latencies in ms by phase label (`steady`, `restart`). */
  latencies: Record<string, number[]>;
}

export interface LoadOptions {
  /** Where to send: 127.0.0.1:`port`. */
  readonly port: number;
  /** Keep-alive clients, each one connection at a time (default 8). */
  readonly clients?: number;
  /** Paths of the GETs (default `['/']`). */
  readonly get?: readonly string[];
  /** Paths of the POSTs (default none). */
  readonly post?: readonly string[];
  /** Share of requests that are POSTs when `post` names paths, 0 to 1 (default 0.25). */
  readonly postShare?: number;
  /** Bytes of each POST's body (default 1024). */
  readonly bodySize?: number;
  /** A request not answered in this many milliseconds fails with `timeout` (default REQUEST_TIMEOUT_MS). */
  readonly requestTimeout?: number;
  /** The load stops by itself after this many milliseconds. */
  readonly maxDuration: number;
  /** Bound of each client's requests (default 200000). */
  readonly maxRequests?: number;
  /** Pause between two requests of a client, in milliseconds (default 0). */
  readonly think?: number;
  /** Checks a complete 2xx answer: false counts it as failed (`incomplete`). */
  readonly check?: (answer: Answer) => boolean;
}

export interface Answer {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly status: number;
  readonly body: string;
  /** Bytes of the body sent (0 for a GET). */
  readonly sent: number;
}

export interface Load {
  readonly counts: LoadCounts;
  /** Labels the latencies of the requests that start from now on. */
  phase(label: string): void;
  /** A copy of the counts now, to subtract later (per run figures). */
  snapshot(): LoadCounts;
  /** Stops the clients after their request in flight; resolves once all have stopped. */
  stop(): Promise<LoadCounts>;
}

/** Thrown inside a request to carry its cause to the counter. */
class RequestFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The cause of a failed `request` (`reset`, `hangup`, `timeout`, `refused`...). */
export function failureCause(error: unknown): string {
  return error instanceof RequestFailure ? error.reason : String(error);
}

/** One request on the client's own agent, resolved with its complete answer or rejected with a cause. */
export function request(
  port: number,
  agent: http.Agent | false,
  method: 'GET' | 'POST',
  path: string,
  body: Buffer | undefined,
  timeout: number,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    let settled = false;
    const fail = (cause: string): void => {
      if (settled) return;
      settled = true;
      reject(new RequestFailure(cause));
    };
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent,
        headers:
          body === undefined ? {} : { 'content-type': 'application/octet-stream', 'content-length': body.length },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('aborted', () => fail('hangup'));
        res.once('error', () => fail('hangup'));
        res.once('end', () => {
          if (settled) return;
          if (!res.complete) return fail('hangup');
          settled = true;
          resolve({
            method,
            path,
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            sent: body?.length ?? 0,
          });
        });
        res.once('close', () => {
          if (!res.complete) fail('hangup');
        });
      },
    );
    req.setTimeout(timeout, () => {
      fail('timeout');
      req.destroy();
    });
    req.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') fail('refused');
      else if (answered) fail('hangup');
      else if (error.code === 'ECONNRESET' || error.code === 'EPIPE') fail('reset');
      else fail(error.code ?? error.message);
    });
    req.end(body);
  });
}

function emptyCounts(): LoadCounts {
  return { ok: 0, failed: 0, causes: {}, refused: 0, posts: 0, latencies: {} };
}

/** Counts of `later` minus those of `earlier` (latencies are not subtracted: they are left out). */
export function subtract(later: LoadCounts, earlier: LoadCounts): LoadCounts {
  const causes: Record<string, number> = {};
  for (const [cause, count] of Object.entries(later.causes)) {
    const delta = count - (earlier.causes[cause] ?? 0);
    if (delta > 0) causes[cause] = delta;
  }
  return {
    ok: later.ok - earlier.ok,
    failed: later.failed - earlier.failed,
    causes,
    refused: later.refused - earlier.refused,
    posts: later.posts - earlier.posts,
    latencies: {},
  };
}

/** Starts the clients; each runs until `stop()`, `maxDuration` or `maxRequests`. */
export function startLoad(options: LoadOptions): Load {
  const counts = emptyCounts();
  const gets = options.get ?? ['/'];
  const posts = options.post ?? [];
  const postShare = posts.length === 0 ? 0 : (options.postShare ?? 0.25);
  const body = Buffer.alloc(options.bodySize ?? 1024, 'lastcall ');
  const timeout = options.requestTimeout ?? REQUEST_TIMEOUT_MS;
  const maxRequests = options.maxRequests ?? 200_000;
  let label = 'warmup';
  let stopped = false;
  const until = performance.now() + options.maxDuration;
  const fail = (cause: string): void => {
    if (cause === 'refused') {
      counts.refused++;
      return;
    }
    counts.failed++;
    counts.causes[cause] = (counts.causes[cause] ?? 0) + 1;
  };
  const client = async (id: number): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < maxRequests && !stopped && performance.now() < until; i++) {
        // Deterministic mix: every client sends its share of POSTs, spread over its requests.
        const isPost = postShare > 0 && ((i + id) * postShare) % 1 < postShare;
        const method = isPost ? 'POST' : 'GET';
        const path = (isPost ? posts[(i + id) % posts.length] : gets[(i + id) % gets.length]) as string;
        const started = performance.now();
        const phase = label;
        try {
          const answer = await request(options.port, agent, method, path, isPost ? body : undefined, timeout);
          if (answer.status < 200 || answer.status > 299) fail(`status ${answer.status}`);
          else if (options.check !== undefined && !options.check(answer)) fail('incomplete');
          else {
            counts.ok++;
            if (isPost) counts.posts++;
            const list = counts.latencies[phase] ?? [];
            list.push(performance.now() - started);
            counts.latencies[phase] = list;
          }
        } catch (error) {
          const cause = failureCause(error);
          fail(cause);
          // Do not spin on a closed port or a service that resets every connection: each failed or
          // refused request costs the client 20 ms before its next one.
          await pause(20);
        }
        if (options.think !== undefined && options.think > 0) await pause(options.think);
      }
    } finally {
      agent.destroy();
    }
  };
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const running = Promise.all(Array.from({ length: options.clients ?? 8 }, (_, id) => client(id)));
  return {
    counts,
    phase(next) {
      label = next;
    },
    snapshot() {
      return { ...counts, causes: { ...counts.causes }, latencies: {} };
    },
    async stop() {
      stopped = true;
      await running;
      return counts;
    },
  };
}

/** The p-th percentile (0-100) of `values`, in their unit; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}
