// A helper process that plays the WebSocket clients of the reconnect-storm scenario: it opens
// them through the balancer, and each one that sees its close reconnects at once (the storm's
// worst case: no back-off of its own). Talks over IPC; exits when its parent goes away.
import { WebSocket } from 'ws';
import { HOST, sleep } from './lib/net.js';

export type StormCommand =
  | { readonly type: 'open'; readonly port: number; readonly clients: number }
  | { readonly type: 'count' }
  | { readonly type: 'stop' };

export type StormEvent =
  | { readonly type: 'opened'; readonly opened: number; readonly failed: number }
  | {
      readonly type: 'counted';
      /** Close codes seen, counted. */
      readonly codes: Record<string, number>;
      /** Clients whose reconnect opened. */
      readonly reconnected: number;
      /** Reconnect attempts that failed (each is retried after a short pause, a bounded number of times). */
      readonly failedAttempts: number;
    };

/** Clients opened at a time, so the balancer's accept queue is not the thing measured. */
const BATCH = 100;
/** Attempts per reconnect at most, 50 ms apart after a failure: a bound on every loop. */
const MAX_ATTEMPTS = 20;
const RETRY_PAUSE_MS = 50;
/** The helper ends itself after this long whatever happens (a bound on the whole process). */
const HARD_LIMIT_MS = 10 * 60_000;

const sockets = new Set<WebSocket>();
const codes: Record<string, number> = {};
let reconnected = 0;
let failedAttempts = 0;
let stopping = false;

function send(event: StormEvent): void {
  process.send?.(event);
}

/** One connection through the balancer; resolves true once open, false on error. */
function connect(port: number, onClose: (code: number) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://${HOST}:${port}/`);
    let opened = false;
    socket.on('open', () => {
      opened = true;
      sockets.add(socket);
      resolve(true);
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      sockets.delete(socket);
      if (!opened) resolve(false);
      else onClose(code);
    });
  });
}

/** A client: open, and on its close count the code and reconnect once, at once. */
async function client(port: number): Promise<boolean> {
  const onClose = (code: number): void => {
    codes[code] = (codes[code] ?? 0) + 1;
    if (stopping) return;
    void (async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS && !stopping; attempt++) {
        if (await connect(port, () => undefined)) {
          reconnected++;
          return;
        }
        failedAttempts++;
        await sleep(RETRY_PAUSE_MS);
      }
    })();
  };
  return connect(port, onClose);
}

process.on('message', (command: StormCommand) => {
  switch (command.type) {
    case 'open':
      void (async () => {
        let opened = 0;
        for (let start = 0; start < command.clients; start += BATCH) {
          const batch = Math.min(BATCH, command.clients - start);
          const results = await Promise.all(Array.from({ length: batch }, () => client(command.port)));
          opened += results.filter(Boolean).length;
        }
        send({ type: 'opened', opened, failed: command.clients - opened });
      })();
      break;
    case 'count':
      send({ type: 'counted', codes: { ...codes }, reconnected, failedAttempts });
      break;
    case 'stop':
      stopping = true;
      for (const socket of sockets) socket.terminate();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(1), HARD_LIMIT_MS).unref();
