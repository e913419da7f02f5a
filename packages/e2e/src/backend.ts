// The backend service the end-to-end tests put behind a balancer, as a user writes it: an HTTP
// server owned by lastcall (core + lifecycle + health), readiness on /readyz, an HAProxy
// agent-check responder, the acknowledged delay. A GET answers `ok <pid>`, a POST `ok <pid> <bytes>`. Run as a child process; env in BACKEND_ENV.
import * as http from 'node:http';
import type * as net from 'node:net';
import { createTerminator, DelayedCloseDrain, type DrainStrategy, KeepAliveDrain } from '@lastcall/core';
import { AcknowledgedDelayDrain, createHealth } from '@lastcall/health';
import { createCoordinator } from '@lastcall/lifecycle';
import { BACKEND_ENV, type BackendExit, READINESS_PATH } from './protocol';

const env = process.env;
const port = Number(env[BACKEND_ENV.port]);
const agentPort = Number(env[BACKEND_ENV.agentPort] ?? 0);
/** `0`: readiness stays 200 through the shutdown (the health is not attached to the coordinator). */
const flip = env[BACKEND_ENV.flip] !== '0';
const delayMode = env[BACKEND_ENV.delay] ?? 'ack';
/** Failed checks after which the balancer takes the backend out (HAProxy's `fall`). */
const fall = Number(env[BACKEND_ENV.fall] ?? 2);
/** Bound of the acknowledged delay, and the fixed delay, in ms: a balancer that never asks (nginx). */
const maxDelayMs = Number(env[BACKEND_ENV.maxDelayMs] ?? 1_000);
/** How long each application request takes, in ms: something is always in flight at SIGTERM. */
const WORK_MS = 5;

const stats: BackendExit = { requests: 0, connections: 0, connectionsAfterSigterm: 0, sigtermToExitMs: 0 };
let sigtermAt = 0;
let shuttingDown = false;
let firstRequestSeen = false;
const seen = new WeakSet<net.Socket>();

const health = createHealth({ paths: { readiness: READINESS_PATH } });
const server = http.createServer((req, res) =>
  health.handler(req, res, () => {
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
    if (req.method === 'POST') {
      // The body read whole, its size in the answer: the client checks it arrived complete.
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      req.once('end', () => setTimeout(() => res.end(`ok ${process.pid} ${bytes}\n`), WORK_MS));
      return;
    }
    setTimeout(() => res.end(`ok ${process.pid}\n`), WORK_MS);
  }),
);

// Idle connections the balancer keeps for reuse stay open during the delay: behind an L7
// balancer (`http-reuse`, an nginx keepalive pool) `Connection: close` only churns them.
const drains: Record<string, () => DrainStrategy> = {
  ack: () => new AcknowledgedDelayDrain({ health, fall, maxDelay: maxDelayMs, balancer: 'l7' }),
  fixed: () => new DelayedCloseDrain({ delay: maxDelayMs, closeConnections: false, drain: new KeepAliveDrain() }),
  off: () => new KeepAliveDrain(),
};
const makeDrain = drains[delayMode];
if (makeDrain === undefined)
  throw new RangeError(`${BACKEND_ENV.delay} must be ack, fixed or off, received ${delayMode}`);
const drain = makeDrain();

const shutdown = createCoordinator({
  deadline: 10_000,
  logger: false,
  beforeShutdown: {
    name: 'mark',
    run: () => {
      shuttingDown = true;
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
shutdown.add(createTerminator({ server, gracefulTimeout: 5_000, drain }), { name: 'api' });
if (flip) health.attach(shutdown);
else shutdown.task('close probes', () => health.close());

server.listen(port, '127.0.0.1', async () => {
  if (agentPort > 0) await health.listenAgentCheck({ port: agentPort });
  console.log(`READY ${port}`);
});
