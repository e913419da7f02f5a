// A helper process that plays the clients of the dropped, overshoot, HTTP/2 and WebSocket
// scenarios, so that the measured process runs the server alone, as in production.
// Talks over IPC; exits when its parent goes away, and after a hard limit in any case.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { WebSocket } from 'ws';
import { HOST, now, REQUEST_TIMEOUT_MS, sleep, timedGet, within } from './lib/net.js';

export type ClientsCommand =
  | { readonly type: 'load'; readonly port: number; readonly clients: number; readonly durationMs: number }
  | { readonly type: 'inflight'; readonly port: number; readonly delaysMs: readonly number[]; readonly h2: boolean }
  | { readonly type: 'ws'; readonly port: number; readonly clients: number }
  | { readonly type: 'release' };

export type ClientsEvent =
  | {
      readonly type: 'load-done';
      readonly ok: number;
      readonly refused: number;
      readonly dropped: number;
      readonly codes: Record<string, number>;
    }
  | { readonly type: 'inflight-done'; readonly completed: number; readonly goaways: number }
  | { readonly type: 'ws-open'; readonly opened: number }
  | { readonly type: 'ws-closed'; readonly codes: Record<string, number> };

/** Back-off after a refused connection, so refused clients do not spin. */
const REFUSED_BACKOFF_MS = 10;
/**
 * Back-off before retrying after a second drop in a row, doubling up to REFUSED_BACKOFF_MS, so a
 * server that fails every request at once cannot make a client spin. The first drop is retried
 * at once, as it always was: a single drop per client (the usual case) is measured unchanged.
 */
const DROP_BACKOFF_MS = 1;
/**
 * Requests per load client at most: a bound on the loop besides its duration. Never reached in a
 * benchmark (a 2 ms handler allows about 750 in the 1.5 s run).
 */
const MAX_REQUESTS_PER_CLIENT = 100_000;
/**
 * How long the WebSocket clients wait for their close before ending themselves (then 1006, as
 * on `release`): above the scenario's own release (a few seconds after terminate()), below its
 * wait for `ws-closed` (the graceful timeout plus 20 s).
 */
const WS_CLOSE_LIMIT_MS = 15_000;
/** How long requests pending at the end of a load run get before they count as hung. */
const END_GRACE_MS = 500;
/** The longest an in-flight request may take before it counts as lost. */
const INFLIGHT_LIMIT_MS = 15_000;
const HARD_LIMIT_MS = 20 * 60_000;

/** What `release` ends: agents, sessions and sockets left open for the server to close. */
let held: Array<() => void> = [];

function send(event: ClientsEvent): void {
  process.send?.(event);
}

type Outcome = 'ok' | string;

/** 32 keep-alive clients back to back for `durationMs`; a refusal is fine, anything else a drop. */
async function load(port: number, clients: number, durationMs: number): Promise<void> {
  let ok = 0;
  let refused = 0;
  let dropped = 0;
  const codes: Record<string, number> = {};
  const pending = new Set<http.ClientRequest>();
  let ending = false;

  const request = (agent: http.Agent): Promise<Outcome> =>
    new Promise((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (outcome: Outcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        pending.delete(req);
        resolve(outcome);
      };
      const req = http.request({ host: HOST, port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => settle(res.complete ? 'ok' : 'ECONNRESET'));
        res.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? 'response error'));
        res.on('close', () => settle(res.complete ? 'ok' : 'aborted'));
      });
      // Unanswered this long: hung, like a request still pending when the run ends.
      timer = setTimeout(() => {
        settle('hung');
        req.destroy();
      }, REQUEST_TIMEOUT_MS);
      pending.add(req);
      req.on('error', (error: NodeJS.ErrnoException) => settle(ending ? 'hung' : (error.code ?? 'request error')));
      req.end();
    });

  const stopAt = now() + durationMs;
  const client = async (): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let dropsInARow = 0;
    try {
      for (let sent = 0; sent < MAX_REQUESTS_PER_CLIENT && now() < stopAt; sent++) {
        const outcome = await request(agent);
        if (outcome === 'ok') {
          ok++;
          dropsInARow = 0;
        } else if (outcome === 'ECONNREFUSED') {
          refused++;
          dropsInARow = 0;
          await sleep(REFUSED_BACKOFF_MS);
        } else {
          dropped++;
          codes[outcome] = (codes[outcome] ?? 0) + 1;
          dropsInARow++;
          if (dropsInARow > 1) await sleep(Math.min(DROP_BACKOFF_MS * 2 ** (dropsInARow - 2), REFUSED_BACKOFF_MS));
        }
      }
    } finally {
      agent.destroy();
    }
  };
  const all = Promise.all(Array.from({ length: clients }, client));
  if ((await within(all, durationMs + END_GRACE_MS)) === 'timeout') {
    ending = true;
    for (const req of [...pending]) req.destroy();
    await within(all, 1_000);
  }
  send({ type: 'load-done', ok, refused, dropped, codes });
}

/** One request per delay, each on its own keep-alive connection (HTTP/1) or session (HTTP/2). */
async function inflight(port: number, delaysMs: readonly number[], h2: boolean): Promise<void> {
  let goaways = 0;
  const results = delaysMs.map((ms) => {
    const path = `/?ms=${ms}`;
    if (h2) {
      const session = http2.connect(`http://${HOST}:${port}`);
      session.on('error', () => undefined);
      session.once('goaway', () => goaways++);
      held.push(() => session.destroy());
      return new Promise<boolean>((resolve) => {
        const stream = session.request({ ':path': path });
        // A stream unanswered this long is a hang: cancelled (its close resolves it, not completed).
        const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), REQUEST_TIMEOUT_MS);
        stream.once('close', () => clearTimeout(timer));
        let status = 0;
        stream.on('response', (headers) => {
          status = Number(headers[':status']);
        });
        stream.resume();
        stream.on('end', () => resolve(status === 200));
        stream.on('error', () => resolve(false));
        stream.on('close', () => resolve(false));
      });
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    held.push(() => agent.destroy());
    return timedGet(port, path, agent);
  });
  const settled = await within(Promise.all(results), INFLIGHT_LIMIT_MS);
  const completed = settled === 'timeout' ? 0 : settled.filter(Boolean).length;
  send({ type: 'inflight-done', completed, goaways });
}

/** `clients` WebSocket clients, open and idle; reports the close code each one saw. */
async function webSockets(port: number, clients: number): Promise<void> {
  const codes: Record<string, number> = {};
  const closed: Array<Promise<void>> = [];
  const opened: Array<Promise<boolean>> = [];
  const sockets: WebSocket[] = [];
  for (let i = 0; i < clients; i++) {
    const socket = new WebSocket(`ws://${HOST}:${port}/`);
    socket.on('error', () => undefined);
    sockets.push(socket);
    held.push(() => socket.terminate());
    opened.push(
      new Promise((resolve) => {
        socket.once('open', () => resolve(true));
        socket.once('close', () => resolve(false));
      }),
    );
    closed.push(
      new Promise((resolve) => {
        socket.once('close', (code: number) => {
          codes[String(code)] = (codes[String(code)] ?? 0) + 1;
          resolve();
        });
      }),
    );
  }
  const open = await within(Promise.all(opened), 10_000);
  send({ type: 'ws-open', opened: open === 'timeout' ? 0 : open.filter(Boolean).length });
  if ((await within(Promise.all(closed), WS_CLOSE_LIMIT_MS)) === 'timeout') {
    // Ended here as `release` would end them: each then reports its close (1006).
    for (const socket of sockets) socket.terminate();
    await within(Promise.all(closed), 1_000);
  }
  send({ type: 'ws-closed', codes });
}

process.on('message', (command: ClientsCommand) => {
  switch (command.type) {
    case 'load':
      void load(command.port, command.clients, command.durationMs);
      break;
    case 'inflight':
      void inflight(command.port, command.delaysMs, command.h2);
      break;
    case 'ws':
      void webSockets(command.port, command.clients);
      break;
    case 'release':
      for (const release of held.splice(0)) release();
      held = [];
      break;
  }
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(0), HARD_LIMIT_MS).unref();
