// Reconnect storm: WebSocket clients through a real HAProxy to two backends, each in a process of
// its own; one backend shuts down with WebSocketDrain, and every client it closes reconnects at
// once, through HAProxy, to the survivor. How many reconnects reach the survivor in its busiest
// 100 ms, with the closes all at once (`spread: 0`, what 0.2 did), spread over the default 1000 ms,
// and spread over a window sized for the count? And did every client reconnect before the leaving
// backend's deadline?
// This file measures; the rows, checks and page section are reconnect-storm.report.ts.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { findBinary } from '@lastcall/e2e';
import { LASTCALL } from '../adapters/index.js';
import { HOST, listen, sleep, within } from '../lib/net.js';
import { defineScenario } from '../scenario.js';
import type { StormBackendArgs, StormBackendCommand, StormBackendEvent } from '../storm-backend.js';
import type { StormCommand, StormEvent } from '../storm-clients.js';
import {
  type StormParams,
  type StormRow,
  type StormRun,
  spreadOf,
  stormChecks,
  stormRows,
  stormSection,
  stormWhyMissed,
  VARIANTS,
  type Variant,
  WINDOW_MS,
} from './reconnect-storm.report.js';

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

  rows: stormRows,
  checks: stormChecks,
  section: stormSection,
  whyMissed: stormWhyMissed,
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
