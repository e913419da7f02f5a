// The health state shared by readiness, liveness, startup and the agent-check: one object per
// process, flipped to "draining" at the first instant of shutdown.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { withTimeout } from '@lastcall/core';
import { type AgentCheckOptions, type AgentCheckServer, startAgentCheck } from './agentCheck.js';
import { attachTo, type CoordinatorLike } from './attach.js';
import { type HealthConfig, type HealthOptions, resolveHealthOptions } from './options.js';
import { type ProbeServer, type ProbeServerOptions, startProbeServer } from './probeServer.js';

/**
 * `starting` until the application says it is ready (`markStarted()`, or at creation with the
 * default `started: true`), `serving`, then `draining` from `beginShutdown()` to the exit.
 */
export type HealthState = 'starting' | 'serving' | 'draining';

/** The outcome of one readiness check: `ok`, `failed` (returned false, threw, rejected) or `timeout`. */
export type CheckOutcome = 'ok' | 'failed' | 'timeout';

/** What a readiness evaluation found. */
export interface ReadinessResult {
  /** True when serving and every check came out `ok`. */
  readonly ready: boolean;
  /** The health state the result was made in. */
  readonly state: HealthState;
  /** Each check's outcome by name; empty when no check ran (not serving, or no checks). */
  readonly checks: Readonly<Record<string, CheckOutcome>>;
}

/** Who was answered "not ready" during shutdown: an HTTP readiness probe or an agent-check client. */
export type ProbeChannel = 'readiness' | 'agentCheck';

/** Not-ready answers sent since shutdown began, by channel. */
export interface NotReadyAnswers {
  /** Not-ready (503) readiness answers sent to HTTP probes. */
  readonly readiness: number;
  /** Agent-check `drain` answers sent. */
  readonly agentCheck: number;
}

/** A plain Node request listener: fits http, https, express, and the raw objects of koa, fastify, Hono. */
export type ProbeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The routing handler: answers the three probe paths; anything else goes to `next`, or gets a 404. */
export type RoutingHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/** Told of each not-ready answer sent during shutdown, with the counts so far. */
export type NotReadyAnswerListener = (channel: ProbeChannel, answers: NotReadyAnswers) => void;
/** Told of each state change. */
export type HealthStateListener = (state: HealthState) => void;

/** Makes the health state of a process. Options are validated here (option and value named). */
export function createHealth(options: HealthOptions = {}): Health {
  return new Health(options);
}

/**
 * Readiness is 200 while serving (and every check passes), 503 from the first instant of
 * shutdown; liveness is 200 as long as the process answers; startup is 200 once started.
 * Mount the handlers on any server, or `listen()` on a port of the probes' own; the agent-check
 * responder (`listenAgentCheck()`) answers HAProxy from the same state.
 */
export class Health {
  readonly #config: HealthConfig;
  #state: HealthState;
  #answers = { readiness: 0, agentCheck: 0 };
  #answerListeners = new Set<NotReadyAnswerListener>();
  #stateListeners = new Set<HealthStateListener>();
  #running: Promise<ReadinessResult> | undefined;
  #servers = new Set<{ close(): Promise<void> }>();

  constructor(options: HealthOptions = {}) {
    this.#config = resolveHealthOptions(options);
    this.#state = this.#config.started ? 'serving' : 'starting';
  }

  /** Where the process is now: `starting`, `serving` or `draining`. */
  get state(): HealthState {
    return this.#state;
  }

  /** The probe paths of the routing handler and the probe server. */
  get paths(): Readonly<{
    /** Path of the readiness probe (`/readyz` unless `paths` said otherwise). */
    readiness: string;
    /** Path of the liveness probe (`/livez` unless `paths` said otherwise). */
    liveness: string;
    /** Path of the startup probe (`/startupz` unless `paths` said otherwise). */
    startup: string;
  }> {
    return this.#config.paths;
  }

  /** Not-ready answers sent since `beginShutdown()`, by channel (zero before). */
  get notReadyAnswers(): NotReadyAnswers {
    return { ...this.#answers };
  }

  /** The application is ready: startup turns 200, readiness follows its checks. No effect once draining. */
  markStarted(): void {
    if (this.#state !== 'starting') return;
    this.#setState('serving');
  }

  /**
   * Shutdown begins: readiness answers 503 and the agent-check `drain` from now on, and every
   * such answer is counted. Idempotent. `@lastcall/health`'s drain and `attach()` call it; call
   * it yourself at the first line of a shutdown you run by hand.
   */
  beginShutdown(): void {
    if (this.#state === 'draining') return;
    this.#setState('draining');
  }

  /**
   * Listens for each not-ready answer sent during shutdown (after its bytes were handed to the
   * socket). Returns the function that removes the listener.
   */
  onNotReadyAnswer(listener: NotReadyAnswerListener): () => void {
    this.#answerListeners.add(listener);
    return () => this.#answerListeners.delete(listener);
  }

  /** Listens for state changes. Returns the function that removes the listener. */
  onStateChange(listener: HealthStateListener): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /**
   * Evaluates readiness now: not ready unless serving; while serving, runs the checks (each
   * under its timeout). Concurrent calls share one run, so a flood of probes runs the checks once.
   */
  checkReadiness(): Promise<ReadinessResult> {
    if (this.#state !== 'serving' || this.#config.checks.length === 0) {
      return Promise.resolve({ ready: this.#state === 'serving', state: this.#state, checks: {} });
    }
    if (this.#running === undefined) {
      this.#running = this.#runChecks().finally(() => {
        this.#running = undefined;
      });
    }
    return this.#running;
  }

  /** Readiness probe: 200 when ready, 503 otherwise (at once during shutdown). */
  readonly readiness: ProbeHandler = (req, res) => {
    if (this.#state === 'draining') {
      this.#answerNotReady(res, { ready: false, state: 'draining', checks: {} }, req);
      return;
    }
    this.checkReadiness().then(
      (result) => {
        // The state may have flipped while the checks ran: the answer says what is true now.
        if (this.#state === 'draining') this.#answerNotReady(res, { ...result, ready: false, state: 'draining' }, req);
        else this.#answer(req, res, result.ready ? 200 : 503, result);
      },
      () => this.#answer(req, res, 503, { ready: false, state: this.#state, checks: {} }),
    );
  };

  /** Liveness probe: 200 while the process answers, draining included (a draining process is alive). */
  readonly liveness: ProbeHandler = (req, res) => {
    this.#answer(req, res, 200, { ready: this.#state === 'serving', state: this.#state, checks: {} });
  };

  /** Startup probe: 503 until started, then 200 (draining included). */
  readonly startup: ProbeHandler = (req, res) => {
    const started = this.#state !== 'starting';
    this.#answer(req, res, started ? 200 : 503, { ready: this.#state === 'serving', state: this.#state, checks: {} });
  };

  /** Answers the three probe paths (`paths`); any other request goes to `next`, or gets a 404. */
  readonly handler: RoutingHandler = (req, res, next) => {
    const handler = this.#route(req.url);
    if (handler) handler(req, res);
    else if (next) next();
    else this.#notFound(res);
  };

  /** The agent-check line for the current state (`up ready`, `drain`, `down`), without the newline. */
  async agentStatus(): Promise<'up ready' | 'drain' | 'down'> {
    if (this.#state === 'draining') return 'drain';
    const result = await this.checkReadiness();
    // The state may have flipped while the checks ran.
    if (this.state === 'draining') return 'drain';
    return result.ready ? 'up ready' : 'down';
  }

  /**
   * Starts a probe server of the health's own (an http server answering the probe paths) and
   * resolves once it listens. Binds 127.0.0.1 unless `host` says otherwise.
   * @throws PortInUseError (rejects) when the port is taken.
   */
  async listen(options: ProbeServerOptions = {}): Promise<ProbeServer> {
    const server = await startProbeServer(this, options, (res) => this.#notFound(res));
    this.#track(server);
    return server;
  }

  /**
   * Starts the HAProxy agent-check responder on the same state and resolves once it listens.
   * Binds 127.0.0.1 unless `host` says otherwise.
   * @throws PortInUseError (rejects) when the port is taken.
   */
  async listenAgentCheck(options: AgentCheckOptions = {}): Promise<AgentCheckServer> {
    const server = await startAgentCheck(this, options, (line) => this.#countAgentAnswer(line));
    this.#track(server);
    return server;
  }

  /**
   * Wires the health into a `@lastcall/lifecycle` coordinator: readiness turns 503 as the first
   * step of `beforeShutdown` (before any listener closes), and the probe and agent-check servers
   * close as the last step of `onShutdown` (after the application's servers, so liveness answers
   * to the end). Returns the function that unregisters both steps.
   */
  attach(coordinator: CoordinatorLike): () => void {
    return attachTo(this, coordinator);
  }

  /** Closes every probe and agent-check server this health started (call it after the application's servers). */
  async close(): Promise<void> {
    await Promise.all([...this.#servers].map((server) => server.close()));
  }

  #track(server: { close(): Promise<void> }): void {
    this.#servers.add(server);
    const close = server.close.bind(server);
    // Forgotten once closed, whoever closes it.
    server.close = () => close().finally(() => this.#servers.delete(server));
  }

  #setState(state: HealthState): void {
    this.#state = state;
    for (const listener of [...this.#stateListeners]) listener(state);
  }

  #route(url: string | undefined): ProbeHandler | undefined {
    const path = (url ?? '/').split('?', 1)[0];
    const { readiness, liveness, startup } = this.#config.paths;
    if (path === readiness) return this.readiness;
    if (path === liveness) return this.liveness;
    if (path === startup) return this.startup;
    return undefined;
  }

  async #runChecks(): Promise<ReadinessResult> {
    const { checks, clock } = this.#config;
    const outcomes = await Promise.all(
      checks.map(async (check): Promise<[string, CheckOutcome]> => {
        const controller = new AbortController();
        const run = Promise.resolve()
          .then(() => check.run(controller.signal))
          .then(
            (value): CheckOutcome => (value === false ? 'failed' : 'ok'),
            (): CheckOutcome => 'failed',
          );
        const outcome = await withTimeout(run, check.timeout, clock, (): CheckOutcome => {
          controller.abort();
          return 'timeout';
        });
        return [check.name, outcome];
      }),
    );
    const ready = outcomes.every(([, outcome]) => outcome === 'ok');
    return { ready: ready && this.#state === 'serving', state: this.#state, checks: Object.fromEntries(outcomes) };
  }

  #answerNotReady(res: ServerResponse, result: ReadinessResult, req: IncomingMessage): void {
    // Counted once the answer is handed to the socket: a probe whose client went away did not learn anything.
    res.once('finish', () => this.#count('readiness'));
    this.#answer(req, res, 503, result);
  }

  #countAgentAnswer(line: string): void {
    if (line === 'drain') this.#count('agentCheck');
  }

  #count(channel: ProbeChannel): void {
    if (this.#state !== 'draining') return;
    this.#answers[channel] += 1;
    const answers = this.notReadyAnswers;
    for (const listener of [...this.#answerListeners]) listener(channel, answers);
  }

  #answer(req: IncomingMessage, res: ServerResponse, status: number, result: ReadinessResult): void {
    if (res.headersSent || res.writableEnded) return;
    // Status only unless detail was asked for; never anything taken from the request.
    const body = this.#config.detail
      ? `${JSON.stringify({ status: status === 200 ? 'ok' : 'unavailable', state: result.state, checks: result.checks })}\n`
      : '';
    res.statusCode = status;
    res.setHeader('Cache-Control', 'no-store');
    if (this.#config.detail) res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  #notFound(res: ServerResponse): void {
    if (res.headersSent || res.writableEnded) return;
    res.statusCode = 404;
    res.setHeader('Content-Length', 0);
    res.end();
  }
}
