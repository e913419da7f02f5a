// The end-to-end harness of examples/service: start the service as a real process against a real
// PostgreSQL and Redis with an OTLP receiver, put keep-alive POST load on it, SIGTERM it mid-load,
// then count what the database, the queue and the receiver hold against what the clients were told.
import { type ChildProcess, spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import pg from 'pg';
import type { Dependency } from '../scripts/deps';
import { startOtlpReceiver } from '../scripts/otlp-receiver';

const SERVICE_ROOT = path.resolve(__dirname, '..');
/** Keep-alive clients, each sending POSTs back to back. */
export const CLIENTS = 6;
/** 2xx answers before the SIGTERM: the load is real by then. */
export const OK_BEFORE_SIGTERM = 150;
/** Every seventh job is longer than the worker's finish bound (3 s): it must be handed back. */
export const LONG_JOB_EVERY = 7;
export const LONG_JOB_MS = 8_000;
export const SHORT_JOB_MS = 40;
/** Bounds of the run's phases, in milliseconds: a hang fails the run and names the phase. */
const START_BOUND = 30_000;
const LOAD_BOUND = 20_000;
const EXIT_BOUND = 30_000;
const REQUEST_TIMEOUT = 10_000;
/** Errors that mean the order was wrong, wherever they show up. */
export const ORDER_ERRORS = /pool after calling end|Connection is closed|Missing lock|stalled/i;

export interface Answer {
  readonly requestId: string;
  /** HTTP status, or undefined when the request got no answer. */
  readonly status?: number;
  /** The order id of a 201. */
  readonly id?: string;
  /** The socket error of a request that got no answer. */
  readonly error?: string;
}

export interface RunCounts {
  exitCode: number | null;
  /** Requests answered with a 2xx, and how many of their rows are committed. */
  ok: number;
  rowsCommitted: number;
  /** Requests answered with something else than 2xx. */
  notOk: number;
  /** Requests without an answer, by error code (ECONNREFUSED after the listener closed is expected). */
  unanswered: Record<string, number>;
  /** Jobs of the 2xx answers, by state after the exit. */
  jobs: {
    accepted: number;
    completed: number;
    /** Back in the wait list after it started: handed back by the worker's shutdown. */
    handedBack: number;
    /** In the wait list, never started (the backlog at the exit). */
    queued: number;
    /** Still active after the exit: no worker holds it, it will stall and run again. */
    active: number;
    failed: number;
    other: number;
  };
  /** Jobs processed more than once (the row's `processed` above 1, or above 0 for a job back in the queue). */
  runTwice: number;
  /** Jobs BullMQ counted as stalled. */
  stalled: number;
  /** Answered requests, and how many of them have their server span at the receiver. */
  answered: number;
  spansReceived: number;
  /** The @lastcall/otel spans (shutdown, phases, steps) and metric names that reached the receiver. */
  shutdownSpans: string[];
  metricNames: string[];
  /** Service log lines matching ORDER_ERRORS. */
  orderErrors: string[];
  lines: string[];
}

function post(agent: http.Agent, port: number, requestId: string, workMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ item: 'load', workMs });
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/orders',
        method: 'POST',
        agent,
        timeout: REQUEST_TIMEOUT,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-request-id': requestId,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let id: string | undefined;
          if (status >= 200 && status < 300) id = (JSON.parse(text) as { id: string }).id;
          resolve({ requestId, status, ...(id === undefined ? {} : { id }) });
        });
        res.on('error', (error: NodeJS.ErrnoException) => resolve({ requestId, error: error.code ?? error.message }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('request timeout'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ requestId, error: error.code ?? error.message }));
    req.end(body);
  });
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Empties the table and the queue so each run counts only its own. */
export async function reset(postgres: Dependency, redis: Dependency): Promise<void> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS orders');
  } finally {
    await client.end();
  }
  const queue = new Queue('orders', { connection: { host: '127.0.0.1', port: redis.port } });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}

/**
 * One run: the service (src/main.ts, or the misordered fixture with MISORDER set), load, SIGTERM
 * once OK_BEFORE_SIGTERM POSTs were answered 201, clients on until their connection is refused.
 */
export async function runOnce(
  postgres: Dependency,
  redis: Dependency,
  options: { run: string; misorder?: string },
): Promise<RunCounts> {
  await reset(postgres, redis);
  const receiver = await startOtlpReceiver();
  const entry = options.misorder ? 'test/fixtures/misordered.ts' : 'src/main.ts';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '--import', './src/telemetry.ts', entry], {
    cwd: SERVICE_ROOT,
    env: {
      ...process.env,
      PORT: '0',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      TSX_TSCONFIG_PATH: path.join(SERVICE_ROOT, 'tsconfig.json'),
      ...(options.misorder ? { MISORDER: options.misorder } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let onReady: (port: number) => void = () => undefined;
  const ready = new Promise<number>((resolve) => {
    onReady = resolve;
  });
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue;
      lines.push(line);
      const match = /^READY http=(\d+)/.exec(line);
      if (match) onReady(Number(match[1]));
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  try {
    const port = await within(
      Promise.race([
        ready,
        exited.then((code) => Promise.reject(new Error(`service exited ${code}: ${lines.join('\n')}`))),
      ]),
      START_BOUND,
      'service start',
    );
    const answers: Answer[] = [];
    let ok = 0;
    let signalled = false;
    let sequence = 0;
    const deadline = Date.now() + LOAD_BOUND;
    const client = async (): Promise<void> => {
      while (Date.now() < deadline) {
        const n = sequence++;
        const answer = await post(
          agent,
          port,
          `${options.run}-${n}`,
          n % LONG_JOB_EVERY === 0 ? LONG_JOB_MS : SHORT_JOB_MS,
        );
        answers.push(answer);
        if (answer.status !== undefined && answer.status >= 200 && answer.status < 300) ok++;
        if (!signalled && ok >= OK_BEFORE_SIGTERM) {
          signalled = true;
          child.kill('SIGTERM');
        }
        // After the SIGTERM the listener closes: a refused connection ends this client.
        if (answer.error !== undefined) return;
      }
    };
    await within(Promise.all(Array.from({ length: CLIENTS }, client)), LOAD_BOUND + REQUEST_TIMEOUT, 'load');
    if (!signalled) throw new Error(`only ${ok} POSTs answered 201 in ${LOAD_BOUND} ms: ${lines.join('\n')}`);
    const exitCode = await within(exited, EXIT_BOUND, 'exit after SIGTERM');
    const counts = await count(postgres, redis, answers, receiver.spans, exitCode, lines);
    counts.shutdownSpans = receiver.spans
      .filter((span) => span.name.startsWith('lastcall.'))
      .map((span) => span.attributes['lastcall.step.name'] ?? span.attributes['lastcall.phase'] ?? span.name);
    counts.metricNames = [...new Set(receiver.metrics)];
    return counts;
  } finally {
    agent.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await receiver.close();
  }
}

async function count(
  postgres: Dependency,
  redis: Dependency,
  answers: readonly Answer[],
  spans: readonly { attributes: Readonly<Record<string, string>> }[],
  exitCode: number | null,
  lines: string[],
): Promise<RunCounts> {
  const accepted = answers.filter((answer) => answer.id !== undefined);
  const unanswered: Record<string, number> = {};
  for (const answer of answers) {
    if (answer.error !== undefined) unanswered[answer.error] = (unanswered[answer.error] ?? 0) + 1;
  }
  const answered = answers.filter((answer) => answer.status !== undefined);
  // A span is a request's when one of its attributes carries the request id (x-request-id).
  const spanIds = new Set<string>();
  for (const span of spans) for (const value of Object.values(span.attributes)) spanIds.add(value);

  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  const processed = new Map<string, number>();
  try {
    const { rows } = await client.query<{ id: string; processed: number }>('SELECT id, processed FROM orders');
    for (const row of rows) processed.set(String(row.id), row.processed);
  } finally {
    await client.end();
  }

  const jobs = { accepted: accepted.length, completed: 0, handedBack: 0, queued: 0, active: 0, failed: 0, other: 0 };
  let runTwice = 0;
  let stalled = 0;
  const queue = new Queue('orders', { connection: { host: '127.0.0.1', port: redis.port } });
  try {
    for (const { id } of accepted) {
      const job = await queue.getJob(`order-${id}`);
      const state = job ? await job.getState() : 'unknown';
      if (state === 'completed') jobs.completed++;
      else if ((state === 'waiting' || state === 'prioritized') && (job?.attemptsStarted ?? 0) > 0) jobs.handedBack++;
      else if (state === 'waiting' || state === 'prioritized') jobs.queued++;
      else if (state === 'active') jobs.active++;
      else if (state === 'failed') jobs.failed++;
      else jobs.other++;
      if ((job?.stalledCounter ?? 0) > 0) stalled++;
      const times = processed.get(id as string) ?? 0;
      if (times > 1 || (state !== 'completed' && times > 0)) runTwice++;
    }
  } finally {
    await queue.close();
  }
  return {
    exitCode,
    ok: accepted.length,
    rowsCommitted: accepted.filter(({ id }) => processed.has(id as string)).length,
    notOk: answered.length - accepted.length,
    unanswered,
    jobs,
    runTwice,
    stalled,
    answered: answered.length,
    spansReceived: answered.filter((answer) => spanIds.has(answer.requestId)).length,
    shutdownSpans: [],
    metricNames: [],
    orderErrors: lines.filter((line) => ORDER_ERRORS.test(line)),
    lines,
  };
}

export function describeRun(name: string, counts: RunCounts): string {
  const { jobs } = counts;
  return (
    `${name}: exit ${counts.exitCode}; 2xx ${counts.ok}, rows committed ${counts.rowsCommitted}; ` +
    `non-2xx ${counts.notOk}; unanswered ${JSON.stringify(counts.unanswered)}; ` +
    `jobs accepted ${jobs.accepted}: completed ${jobs.completed}, handed back ${jobs.handedBack}, never started ${jobs.queued}, ` +
    `left active ${jobs.active}, failed ${jobs.failed}, other ${jobs.other}, stalled ${counts.stalled}, run twice ${counts.runTwice}; ` +
    `spans received ${counts.spansReceived} of ${counts.answered} answered; order errors ${counts.orderErrors.length}; ` +
    `shutdown spans ${counts.shutdownSpans.length}, lastcall metrics ${counts.metricNames.filter((name) => name.startsWith('lastcall.')).length}`
  );
}
