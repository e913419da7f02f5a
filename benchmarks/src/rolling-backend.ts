// The backend of the rolling-restart scenario: one HTTP service whose shutdown is one of
// ROLLING_MODES, each library used as its README shows it (and lastcall's other drains). Speaks
// the e2e harness's protocol (READY, FIRST_REQUEST, EXIT {json}) and answers as its backend does
// (`ok <pid>`, a POST `ok <pid> <bytes received>`: the client checks the body arrived whole); run
// by the harness as `node dist/rolling-backend.js`.
import * as http from 'node:http';
import type * as net from 'node:net';
import { createTerminus } from '@godaddy/terminus';
import { createTerminator, DelayedCloseDrain, type DrainStrategy, KeepAliveDrain } from '@lastcall/core';
import { BACKEND_ENV, type BackendExit, READINESS_PATH } from '@lastcall/e2e';
import { AcknowledgedDelayDrain, createHealth, type Health } from '@lastcall/health';
import { createCoordinator } from '@lastcall/lifecycle';
import { createHttpTerminator } from 'http-terminator';
import { createLightship } from 'lightship';
import {
  FIXED_DELAY_MS,
  ROLLING_GRACEFUL_MS,
  ROLLING_MODE_ENV,
  ROLLING_MODES,
  ROLLING_UPSTREAM_IDLE_ENV,
  type RollingMode,
} from './lib/rolling.js';

/** How long each application request takes, in ms: something is always in flight at SIGTERM. */
const WORK_MS = 5;

const env = process.env;
const port = Number(env[BACKEND_ENV.port]);
const fall = Number(env[BACKEND_ENV.fall] ?? 2);
const mode = env[ROLLING_MODE_ENV] as RollingMode;
if (!ROLLING_MODES.includes(mode))
  throw new RangeError(`${ROLLING_MODE_ENV} must be one of ${ROLLING_MODES.join(', ')}, received ${String(mode)}`);

const stats: BackendExit = { requests: 0, connections: 0, connectionsAfterSigterm: 0, sigtermToExitMs: 0 };
let sigtermAt = Number.NaN;
let printed = false;
const seen = new WeakSet<net.Socket>();

function printExit(): void {
  if (printed) return;
  printed = true;
  stats.sigtermToExitMs = Math.round(performance.now() - sigtermAt);
  console.log(`EXIT ${JSON.stringify(stats)}`);
}
process.prependListener('SIGTERM', () => {
  sigtermAt = performance.now();
});
// Pipes are synchronous on Linux: the line is out before the process is.
process.on('exit', printExit);

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  // Connections that carried application traffic: a new one after SIGTERM is churn the shutdown caused.
  if (!seen.has(req.socket)) {
    seen.add(req.socket);
    stats.connections++;
    if (!Number.isNaN(sigtermAt)) stats.connectionsAfterSigterm++;
  }
  if (stats.requests++ === 0) console.log('FIRST_REQUEST');
  if (req.method === 'POST') {
    // The body read whole, its size in the answer (as packages/e2e's backend).
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.once('end', () => setTimeout(() => res.end(`ok ${process.pid} ${bytes}\n`), WORK_MS));
    return;
  }
  setTimeout(() => res.end(`ok ${process.pid}\n`), WORK_MS);
}

/** The readiness a library without one gets: the application's own route, 200 until the process ends. */
function plain(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === READINESS_PATH) res.end('ok');
  else serve(req, res);
}

/** The balancer's upstream idle timeout, in ms, for AcknowledgedDelayDrain 'l7' (behind nginx). */
const upstreamIdle = env[ROLLING_UPSTREAM_IDLE_ENV] === undefined ? undefined : Number(env[ROLLING_UPSTREAM_IDLE_ENV]);

/** lastcall as a user writes it: health on the server, attached to the coordinator, the drain given. */
function withLastcall(server: http.Server, drainOf: (health: Health) => DrainStrategy): void {
  const health = createHealth({ paths: { readiness: READINESS_PATH } });
  server.on('request', (req, res) => health.handler(req, res, () => serve(req, res)));
  const shutdown = createCoordinator({ deadline: 10_000, logger: false, finally: printExit });
  shutdown.add(createTerminator({ server, gracefulTimeout: ROLLING_GRACEFUL_MS, drain: drainOf(health) }), {
    name: 'api',
  });
  health.attach(shutdown);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sets up `server`'s shutdown in this mode; resolves once the backend can report READY. */
const modes: Record<RollingMode, (server: http.Server) => Promise<void> | void> = {
  // As packages/e2e/src/backend.ts: @lastcall/health's readiness flips at SIGTERM, and the listener
  // closes once HAProxy has been answered "not ready" `fall` times (bounded by FIXED_DELAY_MS).
  lastcall: (server) =>
    withLastcall(
      server,
      (health) =>
        new AcknowledgedDelayDrain({
          health,
          fall,
          maxDelay: FIXED_DELAY_MS,
          balancer: 'l7',
          ...(upstreamIdle === undefined ? {} : { upstreamIdleTimeout: upstreamIdle }),
        }),
    ),
  // The listener closes at SIGTERM (the readiness still flips, too late for any balancer).
  'lastcall-keepalive': (server) => withLastcall(server, () => new KeepAliveDrain()),
  // A fixed delay, idle connections kept open during it (behind an L7 balancer, as documented).
  'lastcall-delayed': (server) =>
    withLastcall(
      server,
      () => new DelayedCloseDrain({ delay: FIXED_DELAY_MS, closeConnections: false, drain: new KeepAliveDrain() }),
    ),
  // The acknowledged delay with `Connection: close` on every response during it.
  'lastcall-ack-l4': (server) =>
    withLastcall(
      server,
      (health) => new AcknowledgedDelayDrain({ health, fall, maxDelay: FIXED_DELAY_MS, balancer: 'l4' }),
    ),
  'node-close'(server) {
    server.on('request', plain);
    process.once('SIGTERM', () => {
      setTimeout(() => server.closeAllConnections(), ROLLING_GRACEFUL_MS).unref();
      server.close(() => process.exit(0));
      server.closeIdleConnections();
    });
  },
  'http-terminator'(server) {
    server.on('request', plain);
    const terminator = createHttpTerminator({ server, gracefulTerminationTimeout: ROLLING_GRACEFUL_MS });
    process.once('SIGTERM', () => {
      void terminator.terminate().then(() => process.exit(0));
    });
  },
  // terminus answers its health checks 503 from the signal on; it re-raises the signal once done.
  terminus(server) {
    server.on('request', serve);
    createTerminus(server, {
      signals: ['SIGTERM'],
      timeout: ROLLING_GRACEFUL_MS,
      healthChecks: { [READINESS_PATH]: async () => 'ok' },
      onShutdown: async () => printExit(),
    });
  },
  'terminus-delay'(server) {
    server.on('request', serve);
    createTerminus(server, {
      signals: ['SIGTERM'],
      timeout: ROLLING_GRACEFUL_MS,
      healthChecks: { [READINESS_PATH]: async () => 'ok' },
      beforeShutdown: () => sleep(FIXED_DELAY_MS),
      onShutdown: async () => printExit(),
    });
  },
  // lightship's probes listen on a port of their own; its shutdown handler runs after shutdownDelay.
  async lightship(server) {
    server.on('request', serve);
    const lightship = await createLightship({
      detectKubernetes: false,
      port: Number(env[BACKEND_ENV.probePort]),
      shutdownDelay: FIXED_DELAY_MS,
      shutdownHandlerTimeout: ROLLING_GRACEFUL_MS,
      gracefulShutdownTimeout: ROLLING_GRACEFUL_MS * 2,
      signals: ['SIGTERM'],
    });
    lightship.registerShutdownHandler(() => {
      server.close();
    });
    server.once('listening', () => lightship.signalReady());
  },
};

const server = http.createServer();
void Promise.resolve(modes[mode](server)).then(() =>
  server.listen(port, '127.0.0.1', () => console.log(`READY ${port}`)),
);
