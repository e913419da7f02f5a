// Reconnect storm: WebSocket clients through a real HAProxy to two backends; one backend shuts
// down with WebSocketDrain, and every client it closes reconnects at once, through HAProxy, to the
// survivor. How many reconnects reach the survivor in its busiest 100 ms, with the closes spread
// (WebSocketDrain's default) and all at once (`spread: 0`, what 0.2 did)? And did every client
// reconnect before the leaving backend's deadline?
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTerminator, KeepAliveDrain } from '@lastcall/core';
import { findBinary } from '@lastcall/e2e';
import { WebSocketDrain } from '@lastcall/ws';
import { WebSocketServer } from 'ws';
import { LASTCALL } from '../adapters/index.js';
import { notMeasured } from '../checks.js';
import { HOST, listen, now, sleep, within } from '../lib/net.js';
import { type Summary, summarize } from '../lib/stats.js';
import { fmt, range, table } from '../report/format.js';
import { type RowBase, rowBase } from '../report/model.js';
import { defineScenario, planOf } from '../scenario.js';
import type { StormCommand, StormEvent } from '../storm-clients.js';

export interface StormParams {
  /** Runs per variant (each: a fresh HAProxy, backends and clients). */
  readonly runs: number;
  /** WebSocket clients through HAProxy, about half on each backend. */
  readonly clients: number;
  /** The leaving backend's graceful timeout (ms); WebSocketDrain's window is at most half of it. */
  readonly gracefulTimeoutMs: number;
}

type Variant = 'at-once' | 'spread' | 'spread-4000';
const VARIANTS: readonly Variant[] = ['at-once', 'spread', 'spread-4000'];
/** WebSocketDrain's `spread` per variant; undefined: its default (1000 ms). */
const SPREAD: Readonly<Record<Variant, number | undefined>> = { 'at-once': 0, spread: undefined, 'spread-4000': 4_000 };
const LABEL: Readonly<Record<Variant, string>> = {
  'at-once': 'WebSocketDrain({ spread: 0 }): all at once',
  spread: 'WebSocketDrain: spread 1000 ms (default)',
  'spread-4000': 'WebSocketDrain({ spread: 4000 })',
};

export interface StormRun {
  readonly variant: Variant;
  /** Clients the leaving backend had when it began to shut down. */
  readonly leaving: number;
  /** Of them, reconnects the survivor accepted (through HAProxy) before the deadline. */
  readonly reconnected: number;
  /** The most reconnects the survivor accepted in any 100 ms. */
  readonly peak: number;
  /** The shutdown's start to the survivor's last reconnect, in ms. */
  readonly lastMs: number;
  readonly codes: Record<string, number>;
  /** Reconnect attempts that failed (HAProxy found no backend), each retried 50 ms later. */
  readonly failedAttempts: number;
  readonly skipped?: string;
  readonly error?: string;
}

export interface StormRow extends RowBase {
  readonly variant: Variant;
  readonly leaving: number;
  readonly reconnected: number;
  readonly peak: Summary;
  readonly lastMs: Summary;
  readonly codes: Record<string, number>;
  readonly skipped: string | undefined;
}

/** The target: the spread peak at most this share of the at-once peak. */
export const STORM_PEAK_RATIO = 1 / 5;
const WINDOW_MS = 100;

export const reconnectStorm = defineScenario<StormParams, StormRun, StormRow>({
  id: 'reconnect-storm',
  plans: {
    quick: { own: { runs: 1, clients: 2_000, gracefulTimeoutMs: 10_000 } },
    full: { own: { runs: 3, clients: 2_000, gracefulTimeoutMs: 10_000 } },
    // About 5 s on top of the smoke run.
    smoke: { own: { runs: 1, clients: 400, gracefulTimeoutMs: 10_000 } },
  },
  adapters: () => [LASTCALL],
  // Client sockets in the helper, and the backends' side of HAProxy's connections in this process.
  openFiles: 20_000,
  timeLimitMs: (p) => 30_000 + p.runs * VARIANTS.length * (p.gracefulTimeoutMs + 30_000),

  async run(_adapter, params, sink) {
    if (findBinary('haproxy') === undefined) {
      for (const variant of VARIANTS) {
        sink.push({ ...empty(variant), skipped: 'haproxy is not installed (apt-get install -y haproxy)' });
      }
      return;
    }
    for (let run = 0; run < params.runs; run++) {
      for (const variant of VARIANTS) sink.push(await storm(variant, params));
    }
  },

  rows: (results) =>
    results.flatMap((result) =>
      VARIANTS.map((variant) => {
        const runs = result.data.filter((r) => r.variant === variant && r.skipped === undefined);
        const skipped = result.data.find((r) => r.variant === variant && r.skipped !== undefined)?.skipped;
        const errors = runs.flatMap((r) => (r.error === undefined ? [] : [r.error]));
        return {
          ...rowBase(result),
          label: LABEL[variant],
          error: rowBase(result).error ?? errors[0],
          runs: runs.length,
          variant,
          leaving: runs.reduce((n, r) => n + r.leaving, 0),
          reconnected: runs.reduce((n, r) => n + r.reconnected, 0),
          peak: summarize(runs.map((r) => r.peak)),
          lastMs: summarize(runs.map((r) => r.lastMs)),
          codes: runs.reduce<Record<string, number>>((all, r) => {
            for (const [code, count] of Object.entries(r.codes)) all[code] = (all[code] ?? 0) + count;
            return all;
          }, {}),
          skipped,
        };
      }),
    ),

  checks(rows) {
    const spread = rows.find((row) => row.variant === 'spread');
    const atOnce = rows.find((row) => row.variant === 'at-once');
    if (spread === undefined || atOnce === undefined) return [];
    const ratioTitle = 'Reconnect storm behind HAProxy: peak reconnects per 100 ms, default spread vs at once';
    const ratioTarget = `spread's median peak <= ${STORM_PEAK_RATIO} of the at-once median peak (reported, not gated: on a shared machine both peaks are the machine's)`;
    const allTitle = 'Reconnect storm behind HAProxy: every client reconnected before the deadline';
    const allTarget =
      'every client the leaving backend closed reconnects to the survivor before its deadline, close 1001';
    if (spread.skipped !== undefined) {
      return [
        notMeasured('reconnect-storm:peak', ratioTitle, ratioTarget, spread.skipped),
        notMeasured('reconnect-storm:all', allTitle, allTarget, spread.skipped),
      ];
    }
    const complete = rows.every(
      (row) =>
        row.runs > 0 && row.reconnected === row.leaving && row.error === undefined && row.codes['1001'] === row.leaving,
    );
    const ratio = spread.peak.median / atOnce.peak.median;
    const met = ratio <= STORM_PEAK_RATIO;
    return [
      {
        id: 'reconnect-storm:peak',
        title: ratioTitle,
        target: ratioTarget,
        measured: `median peak ${fmt(spread.peak.median)} spread vs ${fmt(atOnce.peak.median)} at once (${ratio.toFixed(2)})`,
        met,
        // Timing on a machine shared with other work: reported, like CPU; the page has the figures.
        gated: false,
        missBy: met ? undefined : `ratio ${ratio.toFixed(2)}`,
        timingOnly: true,
      },
      {
        id: 'reconnect-storm:all',
        title: allTitle,
        target: allTarget,
        measured: rows
          .map((row) => `${row.variant}: ${row.reconnected}/${row.leaving}${row.error ? ` (${row.error})` : ''}`)
          .join('; '),
        met: complete,
        gated: true,
        missBy: complete ? undefined : 'see measured',
        timingOnly: false,
      },
    ];
  },

  section(rows, { run }) {
    const p = planOf<StormParams>(run, 'reconnect-storm');
    if (rows.length === 0 || p === undefined) return undefined;
    return `## Reconnect storm

${p.clients} WebSocket clients (\`ws\`, in a helper process) through a real HAProxy (\`mode http\`, \`balance roundrobin\`, \`option redispatch\`) to two backends in one process, each an HTTP server with a \`ws\` WebSocketServer, about half of the clients on each. The first backend shuts down (\`terminate()\` with \`KeepAliveDrain\` and \`WebSocketDrain\`, graceful timeout ${p.gracefulTimeoutMs} ms); every client it closes reconnects at once, without a back-off of its own (the worst case), and HAProxy sends it to the survivor, since the leaving backend's listener is closed. Measured on the survivor: the most reconnects it accepted in any ${WINDOW_MS} ms (a sliding window), and when the last one came. Rows: \`spread: 0\` (every close frame at once, as 0.2 did), \`WebSocketDrain\`'s default spread (1000 ms; at most half the graceful time left), and \`spread: 4000\`. The survivor can only accept so many reconnects per 100 ms: the at-once peak is that capacity (and it is lower on a loaded machine); the spread peak is _clients closed / window_ per 100 ms while the machine keeps up with it. ${p.runs} run(s) per row, each with a fresh HAProxy, backends and clients.

${table(
  [
    'drain',
    'runs',
    'clients closed',
    'reconnected before the deadline',
    `peak reconnects per ${WINDOW_MS} ms: max`,
    'range',
    'last reconnect ms: median',
    'close codes',
  ],
  rows.map((row) => [
    row.label + (row.error ? ` (error: ${row.error})` : '') + (row.skipped ? ` (not measured: ${row.skipped})` : ''),
    String(row.runs),
    String(row.leaving),
    `${row.reconnected}/${row.leaving}`,
    fmt(row.peak.median),
    range(row.peak),
    fmt(row.lastMs.median),
    Object.entries(row.codes)
      .map(([code, count]) => `${code} x${count}`)
      .join(', ') || '-',
  ]),
)}`;
  },

  whyMissed: () =>
    "Why: with the spread, the survivor sees about clients / window reconnects per ms, so the spread peak cannot go below clients closed x 100 / window: with 1,000 clients closed over the default 1000 ms, 100 per 100 ms, and a ratio of 1/5 needs an at-once peak of 500 or more, a storm the machine absorbs within 200 ms. The at-once peak is the machine's capacity (a loaded machine spreads the at-once storm itself, and its peak is low, the ratio high); and once the planned rate is above what the machine can take, the reconnects queue and arrive in bunches whatever the plan. The close frames themselves keep to the plan: a blocked event loop moves the rest of it later instead of sending the backlog at once.",
});

function empty(variant: Variant): StormRun {
  return { variant, leaving: 0, reconnected: 0, peak: Number.NaN, lastMs: Number.NaN, codes: {}, failedAttempts: 0 };
}

/** The most timestamps in any window of `width` ms. */
export function peakIn(times: readonly number[], width: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start++) {
    while (end < sorted.length && (sorted[end] as number) < (sorted[start] as number) + width) end++;
    peak = Math.max(peak, end - start);
  }
  return peak;
}

/** A WebSocket backend: an HTTP server with a `ws` server, each connection's arrival recorded. */
async function backend(): Promise<{ server: http.Server; wss: WebSocketServer; port: number; arrivals: number[] }> {
  const server = http.createServer((_req, res) => res.end('ok'));
  const wss = new WebSocketServer({ server });
  const arrivals: number[] = [];
  wss.on('connection', (socket) => {
    arrivals.push(now());
    socket.on('error', () => undefined);
  });
  const port = await listen(server);
  return { server, wss, port, arrivals };
}

/** A free port for HAProxy's frontend: listen on 0, note it, close. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function haproxyConfig(front: number, backends: readonly number[], maxconn: number): string {
  return `global
  maxconn ${maxconn}
defaults
  mode http
  timeout connect 100ms
  timeout client 60s
  timeout server 60s
  timeout tunnel 60s
  retries 3
  option redispatch 1
frontend fe
  bind ${HOST}:${front}
  default_backend be
backend be
  balance roundrobin
${backends.map((port, i) => `  server b${i} ${HOST}:${port} check inter 200 fall 1 rise 1 observe layer4 error-limit 1 on-error mark-down`).join('\n')}
`;
}

/** Resolves once HAProxy's frontend accepts a connection (bounded: 10 s). */
async function accepting(port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, HOST);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`HAProxy did not accept on port ${port} within 10 s`);
}

/** The clients' helper process, with one pending answer at a time. */
function stormClients(): {
  child: ChildProcess;
  ask: (command: StormCommand, type: StormEvent['type'], ms: number) => Promise<StormEvent>;
} {
  const child = fork(path.join(path.dirname(process.argv[1] ?? '.'), 'storm-clients.js'), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ask = async (command: StormCommand, type: StormEvent['type'], ms: number): Promise<StormEvent> => {
    let listener: (event: StormEvent) => void = () => undefined;
    const answer = new Promise<StormEvent>((resolve) => {
      listener = (event) => {
        if (event.type === type) resolve(event);
      };
      child.on('message', listener);
    });
    child.send(command);
    const result = await within(answer, ms);
    child.off('message', listener);
    if (result === 'timeout') throw new Error(`storm clients sent no "${type}" within ${ms} ms`);
    return result;
  };
  return { child, ask };
}

async function storm(variant: Variant, params: StormParams): Promise<StormRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lastcall-storm-'));
  const leaving = await backend();
  const survivor = await backend();
  const front = await freePort();
  const config = path.join(dir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(front, [leaving.port, survivor.port], params.clients * 3));
  const haproxy = spawn(findBinary('haproxy') as string, ['-f', config, '-db'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let haproxyErr = '';
  haproxy.stderr?.on('data', (chunk: Buffer) => {
    haproxyErr += chunk.toString();
  });
  const clients = stormClients();
  const terminator = createTerminator({
    server: leaving.server,
    gracefulTimeout: params.gracefulTimeoutMs,
    drain: [
      new KeepAliveDrain(),
      new WebSocketDrain({
        webSocketServers: leaving.wss,
        ...(SPREAD[variant] !== undefined && { spread: SPREAD[variant] }),
      }),
    ],
  });
  try {
    await accepting(front);
    const opened = await clients.ask({ type: 'open', port: front, clients: params.clients }, 'opened', 60_000);
    if (opened.type !== 'opened' || opened.failed > 0) {
      throw new Error(
        `clients: ${opened.type === 'opened' ? opened.failed : '?'} of ${params.clients} failed to open; ${haproxyErr.slice(0, 200)}`,
      );
    }
    const onLeaving = leaving.wss.clients.size;
    const before = survivor.arrivals.length;
    const started = now();
    const deadline = started + params.gracefulTimeoutMs;
    await terminator.terminate();
    // The reconnects of the clients it closed, bounded by the deadline.
    while (survivor.arrivals.length - before < onLeaving && now() < deadline) await sleep(20);
    const reconnects = survivor.arrivals.slice(before).filter((at) => at <= deadline);
    const counted = await clients.ask({ type: 'count' }, 'counted', 5_000);
    return {
      variant,
      leaving: onLeaving,
      reconnected: Math.min(reconnects.length, onLeaving),
      peak: peakIn(reconnects, WINDOW_MS),
      lastMs: reconnects.length > 0 ? Math.max(...reconnects) - started : Number.NaN,
      codes: counted.type === 'counted' ? counted.codes : {},
      failedAttempts: counted.type === 'counted' ? counted.failedAttempts : Number.NaN,
    };
  } catch (error) {
    return { ...empty(variant), error: (error as Error).message.split('\n')[0] };
  } finally {
    clients.child.send({ type: 'stop' } satisfies StormCommand);
    clients.child.kill();
    haproxy.kill();
    if (terminator.state === 'running') terminator.dispose();
    for (const b of [leaving, survivor]) {
      for (const socket of b.wss.clients) socket.terminate();
      b.server.closeAllConnections();
      if (b.server.listening) b.server.close();
    }
    await sleep(100);
    rmSync(dir, { recursive: true, force: true });
  }
}
