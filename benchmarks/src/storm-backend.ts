// One backend of the reconnect-storm scenario, in a process of its own: an HTTP server on
// 127.0.0.1 with a `ws` WebSocketServer, each WebSocket's arrival recorded. In a process of its
// own so that the survivor's accepts do not wait behind the leaving backend's close work (one
// event loop for both made the reconnects arrive in bursts whatever the plan). The leaving one
// shuts down with WebSocketDrain on the scenario's word. Talks over IPC; exits when its parent
// goes away. Run by the scenario as `node dist/storm-backend.js <json StormBackendArgs>`.
import * as http from 'node:http';
import { createTerminator, KeepAliveDrain, type Terminator } from '@lastcall/core';
import { WebSocketDrain } from '@lastcall/ws';
import { WebSocketServer } from 'ws';
import { listen } from './lib/net.js';

export type StormBackendArgs =
  | { readonly role: 'survivor' }
  | {
      readonly role: 'leaving';
      readonly gracefulTimeoutMs: number;
      /** WebSocketDrain's `spread`; undefined: its default. */
      readonly spread: number | undefined;
    };

export type StormBackendCommand =
  /** How many WebSockets arrived so far (the survivor, before the shutdown). */
  | { readonly type: 'mark' }
  /** The leaving backend: terminate() now. */
  | { readonly type: 'terminate' }
  /** The survivor: answer once `count` arrived after the first `from`, or at `until` (clock ms). */
  | { readonly type: 'await'; readonly from: number; readonly count: number; readonly until: number };

export type StormBackendEvent =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'marked'; readonly arrivals: number }
  /** Sent as terminate() is called: the clients open on it then, and when (clock ms). */
  | { readonly type: 'terminating'; readonly clients: number; readonly startedAt: number }
  | { readonly type: 'terminated' }
  /** The arrivals after `from` (clock ms), those until `until`. */
  | { readonly type: 'arrivals'; readonly at: readonly number[] };

/**
 * A clock the processes share: wall-clock ms with the monotonic clock's resolution. Both backends
 * start on the same machine within a second; their origins agree to well under a 100 ms window.
 */
const clock = (): number => performance.timeOrigin + performance.now();

/** The process ends itself after this long whatever happens (a bound on the whole process). */
const HARD_LIMIT_MS = 5 * 60_000;

const args = JSON.parse(process.argv[2] ?? '{}') as StormBackendArgs;
const server = http.createServer((_req, res) => res.end('ok'));
const wss = new WebSocketServer({ server });
const arrivals: number[] = [];
/** The pending `await`, checked on each arrival. */
let waiting: { from: number; count: number; until: number; timer: NodeJS.Timeout } | undefined;

function send(event: StormBackendEvent): void {
  process.send?.(event);
}

function answerAwait(): void {
  if (waiting === undefined) return;
  const { from, until, timer } = waiting;
  waiting = undefined;
  clearTimeout(timer);
  send({ type: 'arrivals', at: arrivals.slice(from).filter((at) => at <= until) });
}

wss.on('connection', (socket) => {
  arrivals.push(clock());
  socket.on('error', () => undefined);
  if (waiting !== undefined && arrivals.length - waiting.from >= waiting.count) answerAwait();
});

// Created before the clients connect, as an application does at start-up.
const terminator: Terminator | undefined =
  args.role === 'leaving'
    ? createTerminator({
        server,
        gracefulTimeout: args.gracefulTimeoutMs,
        drain: [
          new KeepAliveDrain(),
          new WebSocketDrain({ webSocketServers: wss, ...(args.spread !== undefined && { spread: args.spread }) }),
        ],
      })
    : undefined;

process.on('message', (command: StormBackendCommand) => {
  switch (command.type) {
    case 'mark':
      send({ type: 'marked', arrivals: arrivals.length });
      break;
    case 'terminate':
      if (terminator === undefined) return;
      send({ type: 'terminating', clients: wss.clients.size, startedAt: clock() });
      void terminator.terminate().finally(() => send({ type: 'terminated' }));
      break;
    case 'await': {
      const timer = setTimeout(answerAwait, Math.max(0, command.until - clock()));
      waiting = { from: command.from, count: command.count, until: command.until, timer };
      if (arrivals.length - command.from >= command.count) answerAwait();
      break;
    }
  }
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(1), HARD_LIMIT_MS).unref();

void listen(server).then((port) => send({ type: 'listening', port }));
