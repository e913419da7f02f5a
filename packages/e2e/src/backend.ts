// The backend service the end-to-end tests put behind a balancer: an HTTP server owned by lastcall
// (core + lifecycle), a readiness probe, an HAProxy agent-check responder. Run as a child process.
import * as http from 'node:http';
import * as net from 'node:net';
import { createTerminator, DelayedCloseDrain, KeepAliveDrain } from '@lastcall/core';
import { createCoordinator } from '@lastcall/lifecycle';
import { BACKEND_ENV, type BackendExit, READINESS_PATH } from './protocol';

const env = process.env;
const port = Number(env[BACKEND_ENV.port]);
const agentPort = Number(env[BACKEND_ENV.agentPort] ?? 0);
/** `0` keeps readiness at 200 through the shutdown: the switch that shows what the flip is worth. */
const flip = env[BACKEND_ENV.flip] !== '0';
/** `ack` (default): until the balancer has seen "not ready"; `fixed`: DelayedCloseDrain; `off`: none. */
const delayMode = env[BACKEND_ENV.delay] ?? 'ack';
/** Failed checks after which the balancer takes the backend out (HAProxy's `fall`). */
const fall = Number(env[BACKEND_ENV.fall] ?? 2);
/** Upper bound of the acknowledged delay and the fixed delay, in ms: balancers that never ask. */
const maxDelayMs = Number(env[BACKEND_ENV.maxDelayMs] ?? 1_000);
/**
 * After the last acknowledging answer, in ms: the balancer applies the state when it reads the answer,
 * but a request it had already routed here may still be on its way.
 */
const ACK_MARGIN_MS = 50;
/** How long each application request takes, in ms: something is always in flight at SIGTERM. */
const WORK_MS = 5;

let ready = true;
let shuttingDown = false;
let notReadyAnswers = 0;
let onNotReadyAnswer: () => void = () => undefined;
const stats: BackendExit = { requests: 0, connections: 0, connectionsAfterSigterm: 0, sigtermToExitMs: 0 };
let sigtermAt = 0;
let firstRequestSeen = false;

const seen = new WeakSet<net.Socket>();
const server = http.createServer((req, res) => {
  if (req.url === READINESS_PATH) {
    const up = ready || !flip;
    if (!up) {
      notReadyAnswers++;
      onNotReadyAnswer();
    }
    res.writeHead(up ? 200 : 503, { 'content-type': 'text/plain' }).end(up ? 'ready' : 'not ready');
    return;
  }
  // Connections that carried application traffic, not the balancer's probes.
  if (!seen.has(req.socket)) {
    seen.add(req.socket);
    stats.connections++;
    if (shuttingDown) stats.connectionsAfterSigterm++;
  }
  stats.requests++;
  if (!firstRequestSeen) {
    firstRequestSeen = true;
    console.log('FIRST_REQUEST');
  }
  setTimeout(() => res.end(`ok ${process.pid}\n`), WORK_MS);
});

// HAProxy's agent protocol: one line per check, then close. "drain" sets the weight to 0 at once.
const agent = net.createServer((socket) => {
  socket.setTimeout(1_000, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  const up = ready || !flip;
  if (!up) {
    notReadyAnswers += fall; // one agent answer is enough: HAProxy applies it when it reads it.
    onNotReadyAnswer();
  }
  socket.end(up ? 'up ready 100%\n' : 'drain\n');
});

/** Resolves once the balancer has been told "not ready" `fall` times, or after `maxDelayMs`. */
function acknowledged(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(bound);
      onNotReadyAnswer = () => undefined;
      setTimeout(resolve, ACK_MARGIN_MS);
    };
    const bound = setTimeout(done, maxDelayMs);
    onNotReadyAnswer = () => {
      if (notReadyAnswers >= fall) done();
    };
    onNotReadyAnswer();
  });
}

const shutdown = createCoordinator({
  deadline: 10_000,
  logger: false,
  beforeShutdown: {
    name: 'readiness',
    run: async () => {
      shuttingDown = true;
      ready = false;
      if (delayMode === 'ack') await acknowledged();
    },
  },
  finally: () => {
    stats.sigtermToExitMs = Math.round(performance.now() - sigtermAt);
    console.log(`EXIT ${JSON.stringify(stats)}`);
  },
});
process.prependListener('SIGTERM', () => {
  sigtermAt = performance.now();
});
// Idle connections the balancer keeps for reuse are left open during a delay: with `http-reuse`,
// `Connection: close` on every response would only make it open new ones.
const drain =
  delayMode === 'fixed'
    ? new DelayedCloseDrain({ delayMs: maxDelayMs, closeConnections: false, drain: new KeepAliveDrain() })
    : new KeepAliveDrain();
shutdown.add(createTerminator({ server, gracefulTimeout: 5_000, drain }), { name: 'api' });
if (agentPort > 0) {
  shutdown.task('agent-check', () => new Promise<void>((resolve) => agent.close(() => resolve())));
}

server.listen(port, '127.0.0.1', () => {
  if (agentPort > 0) agent.listen(agentPort, '127.0.0.1', () => console.log(`READY ${port}`));
  else console.log(`READY ${port}`);
});
