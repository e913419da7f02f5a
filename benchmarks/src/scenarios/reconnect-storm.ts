// Reconnect storm: WebSocket clients through a real HAProxy to two backends, each in a process of
// its own; one backend shuts down with WebSocketDrain, and every client it closes reconnects at
// once, through HAProxy, to the survivor. How many reconnects reach the survivor in its busiest
// 100 ms, with the closes all at once (`spread: 0`, what 0.2 did), spread over the default 1000 ms,
// and spread over a window sized for the count? And did every client reconnect before the leaving
// backend's deadline?
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { findBinary } from '@lastcall/e2e';
import { LASTCALL } from '../adapters/index.js';
import { notMeasured } from '../checks.js';
import { HOST, listen, sleep, within } from '../lib/net.js';
import { type Summary, summarize } from '../lib/stats.js';
import { fmt, range, table } from '../report/format.js';
import { type RowBase, rowBase } from '../report/model.js';
import { defineScenario, planOf } from '../scenario.js';
import type { StormBackendArgs, StormBackendCommand, StormBackendEvent } from '../storm-backend.js';
import type { StormCommand, StormEvent } from '../storm-clients.js';

export interface StormParams {
  /** Runs per variant (each: a fresh HAProxy, backends and clients). */
  readonly runs: number;
  /** WebSocket clients through HAProxy, about half on each backend. */
  readonly clients: number;
  /** The leaving backend's graceful timeout (ms); WebSocketDrain's window is at most half of it. */
  readonly gracefulTimeoutMs: number;
}

type Variant = 'at-once' | 'spread' | 'sized';
const VARIANTS: readonly Variant[] = ['at-once', 'spread', 'sized'];

/**
 * The reconnects per second the survivor takes comfortably, for the sized row: about half of what
 * the 2-core machine measured sustains at once (1,000 in 2.5 to 3 s, with 100 ms bursts of 150 to
 * 250), so that the reconnects' own bunching (about twice the planned rate) stays near 1/5 of the
 * at-once peak.
 */
export const STORM_COMFORTABLE_RATE = 200;

/** WebSocketDrain's `spread` per variant; undefined: its default (1000 ms). */
function spreadOf(variant: Variant, params: StormParams): number | undefined {
  if (variant === 'at-once') return 0;
  if (variant === 'spread') return undefined;
  // About half of the clients are on the leaving backend.
  return Math.round(((params.clients / 2) * 1000) / STORM_COMFORTABLE_RATE);
}

function labelOf(variant: Variant, spread: number): string {
  if (variant === 'at-once') return 'WebSocketDrain({ spread: 0 }): all at once';
  if (variant === 'spread') return 'WebSocketDrain: spread 1000 ms (default)';
  return `WebSocketDrain({ spread: ${spread} }): sized, clients closed / ${STORM_COMFORTABLE_RATE} per s`;
}

export interface StormRun {
  readonly variant: Variant;
  /** The `spread` asked for (ms; the default's 1000 for the default). */
  readonly spread: number;
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
  readonly spread: number;
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
    // The sized row's spread (1,000 closed: 5000 ms) within half of the graceful timeout.
    quick: { own: { runs: 1, clients: 2_000, gracefulTimeoutMs: 12_000 } },
    full: { own: { runs: 3, clients: 2_000, gracefulTimeoutMs: 12_000 } },
    // About 10 s on top of the smoke run (200 closed: the sized row's spread is the default's).
    smoke: { own: { runs: 1, clients: 400, gracefulTimeoutMs: 10_000 } },
  },
  adapters: () => [LASTCALL],
  // Client sockets in the helper, the backends' side of HAProxy's connections in theirs (forked
  // from this process, they inherit its limit).
  openFiles: 20_000,
  timeLimitMs: (p) => 30_000 + p.runs * VARIANTS.length * (p.gracefulTimeoutMs + 30_000),

  async run(_adapter, params, sink) {
    if (findBinary('haproxy') === undefined) {
      for (const variant of VARIANTS) {
        sink.push({ ...empty(variant, params), skipped: 'haproxy is not installed (apt-get install -y haproxy)' });
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
          label: labelOf(variant, runs[0]?.spread ?? Number.NaN),
          error: rowBase(result).error ?? errors[0],
          runs: runs.length,
          variant,
          spread: runs[0]?.spread ?? Number.NaN,
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
    const sized = rows.find((row) => row.variant === 'sized');
    const spread = rows.find((row) => row.variant === 'spread');
    const atOnce = rows.find((row) => row.variant === 'at-once');
    if (sized === undefined || spread === undefined || atOnce === undefined) return [];
    const ratioTitle =
      'Reconnect storm behind HAProxy: peak reconnects per 100 ms, spread sized for the count vs at once';
    const ratioTarget = `the sized spread's median peak (spread = clients closed / ${STORM_COMFORTABLE_RATE} per s) <= ${STORM_PEAK_RATIO} of the at-once median peak (reported, not gated: on a shared machine both peaks are the machine's, and the smoke run's 200 closed miss it, 0.21 to 0.31 in six runs)`;
    const allTitle = 'Reconnect storm behind HAProxy: every client reconnected before the deadline';
    const allTarget =
      'every client the leaving backend closed reconnects to the survivor before its deadline, close 1001';
    if (sized.skipped !== undefined) {
      return [
        notMeasured('reconnect-storm:peak', ratioTitle, ratioTarget, sized.skipped),
        notMeasured('reconnect-storm:all', allTitle, allTarget, sized.skipped),
      ];
    }
    const complete = rows.every(
      (row) =>
        row.runs > 0 && row.reconnected === row.leaving && row.error === undefined && row.codes['1001'] === row.leaving,
    );
    const ratio = sized.peak.median / atOnce.peak.median;
    const met = ratio <= STORM_PEAK_RATIO;
    const defaultRatio = spread.peak.median / atOnce.peak.median;
    return [
      {
        id: 'reconnect-storm:peak',
        title: ratioTitle,
        target: ratioTarget,
        // The default's row too, so that a smoke run's line has all three.
        measured: `median peak ${fmt(sized.peak.median)} spread ${sized.spread} ms vs ${fmt(atOnce.peak.median)} at once (${ratio.toFixed(2)}); default 1000 ms: ${fmt(spread.peak.median)} (${defaultRatio.toFixed(2)})`,
        met,
        // Timing on a machine shared with other work: reported, like CPU; the page has the figures.
        // Not gated in smoke either: with 400 clients (200 closed, the sized spread the default's
        // 1000 ms) the ratio was 0.21 to 0.31 in six runs (one beside a CPU burner), since a storm
        // of 200 is absorbed within a few hundred ms even at once; with 2,000, 0.13 to 0.20.
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

${p.clients} WebSocket clients (\`ws\`, in a helper process) through a real HAProxy (\`mode http\`, \`balance roundrobin\`, \`option redispatch\`) to two backends, each an HTTP server with a \`ws\` WebSocketServer in a Node process of its own ([storm-backend.ts](../benchmarks/src/storm-backend.ts)), so that the survivor's accepts never wait behind the leaving backend's closes, about half of the clients on each. The first backend shuts down (\`terminate()\` with \`KeepAliveDrain\` and \`WebSocketDrain\`, graceful timeout ${p.gracefulTimeoutMs} ms); every client it closes reconnects at once, without a back-off of its own (the worst case), and HAProxy sends it to the survivor, since the leaving backend's listener is closed. Measured on the survivor: the most reconnects it accepted in any ${WINDOW_MS} ms (a sliding window), and when the last one came. Rows: \`spread: 0\` (every close frame at once, as 0.2 did), \`WebSocketDrain\`'s default spread (1000 ms; at most half the graceful time left), and a spread sized for the count: _clients closed / ${STORM_COMFORTABLE_RATE} per s_ (${fmt(((p.clients / 2) * 1000) / STORM_COMFORTABLE_RATE)} ms here), ${STORM_COMFORTABLE_RATE} reconnects per second being what the survivor takes comfortably on the 2-core machine measured. The target (the sized row's peak at most ${STORM_PEAK_RATIO} of the at-once peak) is judged on that row. The survivor can only accept so many reconnects per 100 ms: the at-once peak is that capacity (and it is lower on a loaded machine); the spread peak is _clients closed / window_ per 100 ms while the machine keeps up with it, and the whole storm once it does not (the default's row with a thousand clients closed). ${p.runs} run(s) per row, each with a fresh HAProxy, backends and clients.

${table(
  [
    'drain',
    'runs',
    'clients closed',
    'reconnected before the deadline',
    `peak reconnects per ${WINDOW_MS} ms: median`,
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
    `Why: with the spread, the survivor sees about clients / window reconnects per ms, so the spread peak cannot go below clients closed x 100 / window, and the reconnects bunch (about twice that, measured; the clients already see their close frames bunched, so it is the balancer and the clients' process on a busy machine, not the plan). The at-once peak is the machine's capacity: a loaded machine spreads the at-once storm itself, and its peak is low, the ratio high; once the planned rate is above what the machine takes, the reconnects queue and the spread changes nothing (the default 1000 ms with 1,000 clients closed: 100 per 100 ms planned, about what this machine absorbs at once). The spread a server needs is therefore about clients / (the survivor's comfortable reconnect rate): the sized row uses ${STORM_COMFORTABLE_RATE} per s, about half of what the 2-core machine measured sustains at once; the default 1000 ms suits a few hundred connections per process. The close frames themselves keep to the plan: a blocked event loop moves the rest of it later instead of sending the backlog at once.`,
});

function empty(variant: Variant, params: StormParams): StormRun {
  return {
    variant,
    spread: spreadOf(variant, params) ?? 1_000,
    leaving: 0,
    reconnected: 0,
    peak: Number.NaN,
    lastMs: Number.NaN,
    codes: {},
    failedAttempts: 0,
  };
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

interface Helper<Command, Event extends { type: string }> {
  readonly child: ChildProcess;
  /** Listens for the next event of `type`, then sends `command` (if any); rejects after `ms`. */
  ask<T extends Event['type']>(command: Command | undefined, type: T, ms: number): Promise<Extract<Event, { type: T }>>;
}

/** A helper process built next to child.js (this process's script) by build.mjs, spoken to over IPC. */
function helper<Command, Event extends { type: string }>(
  script: string,
  args: readonly string[] = [],
): Helper<Command, Event> {
  const child = fork(path.join(path.dirname(process.argv[1] ?? '.'), script), args, {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return {
    child,
    async ask(command, type, ms) {
      let listener: (event: Event) => void = () => undefined;
      const answer = new Promise<Extract<Event, { type: typeof type }>>((resolve) => {
        listener = (event) => {
          if (event.type === type) resolve(event as Extract<Event, { type: typeof type }>);
        };
        child.on('message', listener);
      });
      if (command !== undefined) child.send(command as object);
      const result = await within(answer, ms);
      child.off('message', listener);
      if (result === 'timeout') throw new Error(`${script} sent no "${type}" within ${ms} ms`);
      return result;
    },
  };
}

async function storm(variant: Variant, params: StormParams): Promise<StormRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lastcall-storm-'));
  // Each backend in its own process: the survivor's accept loop is not the leaving one's.
  const leaving = helper<StormBackendCommand, StormBackendEvent>('storm-backend.js', [
    JSON.stringify({
      role: 'leaving',
      gracefulTimeoutMs: params.gracefulTimeoutMs,
      spread: spreadOf(variant, params),
    } satisfies StormBackendArgs),
  ]);
  const survivor = helper<StormBackendCommand, StormBackendEvent>('storm-backend.js', [
    JSON.stringify({ role: 'survivor' } satisfies StormBackendArgs),
  ]);
  const leavingUp = leaving.ask(undefined, 'listening', 10_000);
  const survivorUp = survivor.ask(undefined, 'listening', 10_000);
  const clients = helper<StormCommand, StormEvent>('storm-clients.js');
  let haproxy: ChildProcess | undefined;
  try {
    const ports = [(await leavingUp).port, (await survivorUp).port];
    const front = await freePort();
    const config = path.join(dir, 'haproxy.cfg');
    writeFileSync(config, haproxyConfig(front, ports, params.clients * 3));
    haproxy = spawn(findBinary('haproxy') as string, ['-f', config, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let haproxyErr = '';
    haproxy.stderr?.on('data', (chunk: Buffer) => {
      haproxyErr += chunk.toString();
    });
    await accepting(front);
    const opened = await clients.ask({ type: 'open', port: front, clients: params.clients }, 'opened', 60_000);
    if (opened.failed > 0) {
      throw new Error(`clients: ${opened.failed} of ${params.clients} failed to open; ${haproxyErr.slice(0, 200)}`);
    }
    const { arrivals: before } = await survivor.ask({ type: 'mark' }, 'marked', 5_000);
    const terminated = leaving.ask(undefined, 'terminated', params.gracefulTimeoutMs + 10_000);
    const { clients: onLeaving, startedAt } = await leaving.ask({ type: 'terminate' }, 'terminating', 5_000);
    // The reconnects of the clients it closed, until the leaving backend's deadline.
    const until = startedAt + params.gracefulTimeoutMs;
    const { at: reconnects } = await survivor.ask(
      { type: 'await', from: before, count: onLeaving, until },
      'arrivals',
      params.gracefulTimeoutMs + 10_000,
    );
    await terminated;
    const counted = await clients.ask({ type: 'count' }, 'counted', 5_000);
    return {
      ...empty(variant, params),
      leaving: onLeaving,
      reconnected: Math.min(reconnects.length, onLeaving),
      peak: peakIn(reconnects, WINDOW_MS),
      lastMs: reconnects.length > 0 ? Math.max(...reconnects) - startedAt : Number.NaN,
      codes: counted.codes,
      failedAttempts: counted.failedAttempts,
    };
  } catch (error) {
    return { ...empty(variant, params), error: (error as Error).message.split('\n')[0] };
  } finally {
    // Only the processes this run started, each through its own handle.
    if (clients.child.connected) clients.child.send({ type: 'stop' } satisfies StormCommand);
    clients.child.kill();
    haproxy?.kill();
    leaving.child.kill();
    survivor.child.kill();
    await sleep(100);
    rmSync(dir, { recursive: true, force: true });
  }
}
