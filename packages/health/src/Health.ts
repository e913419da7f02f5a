// The health state shared by readiness, liveness, startup and the agent-check: one object per
// process, flipped to "draining" at the first instant of shutdown. The HTTP answers are in
// answer.ts, the checks' run in checks.ts, the servers in probeServer.ts and agentCheck.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionTypeError } from '@lastcall/core';
import { type AgentCheckOptions, type AgentCheckServer, startAgentCheck } from './agentCheck.js';
import { writeAnswer, writeNotFound } from './answer.js';
import { runChecks } from './checks.js';
import { type HealthConfig, type HealthOptions, resolveHealthOptions } from './options.js';
import { type ProbeServer, type ProbeServerOptions, startProbeServer } from './probeServer.js';
import type { HealthState, NotReadyAnswers, ProbeHandler, ReadinessResult } from './state.js';

type ProbeChannel = 'readiness' | 'agentCheck';
type NotReadyAnswerListener = (channel: ProbeChannel, answers: NotReadyAnswers) => void;

/** Order of the readiness flip in `beforeShutdown`: before every other step. */
const FLIP_ORDER = -Number.MAX_SAFE_INTEGER;
/** Order of the probe servers' close in `onShutdown`: after every other step. */
const CLOSE_ORDER = Number.MAX_SAFE_INTEGER;

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
  #stateListeners = new Set<(state: HealthState) => void>();
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
   * socket): `channel` is who was answered (`readiness`, an HTTP probe, or `agentCheck`), `answers`
   * the counts so far. Returns the function that removes the listener.
   */
  onNotReadyAnswer(listener: (channel: 'readiness' | 'agentCheck', answers: NotReadyAnswers) => void): () => void {
    this.#answerListeners.add(listener);
    return () => this.#answerListeners.delete(listener);
  }

  /** Listens for state changes. Returns the function that removes the listener. */
  onStateChange(listener: (state: HealthState) => void): () => void {
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
  readonly handler: (req: IncomingMessage, res: ServerResponse, next?: () => void) => void = (req, res, next) => {
    const handler = this.#route(req.url);
    if (handler) handler(req, res);
    else if (next) next();
    else writeNotFound(res);
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
    const server = await startProbeServer(this, options, writeNotFound);
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
  attach(coordinator: {
    /** Registers a named step in a shutdown phase at an order; returns the function that unregisters it. */
    task(
      name: string,
      run: () => unknown,
      options?: { phase?: 'beforeShutdown' | 'servers' | 'onShutdown'; order?: number; timeout?: number },
    ): () => void;
  }): () => void {
    // Through the coordinator's public task() only: any object with the same task() fits, and
    // health needs no import of @lastcall/lifecycle.
    if (typeof (coordinator as { task?: unknown } | null)?.task !== 'function') {
      throw new InvalidOptionTypeError(
        'health.attach',
        'coordinator',
        'a coordinator from createCoordinator()',
        coordinator,
      );
    }
    const undo = [
      coordinator.task('health: readiness 503', () => this.beginShutdown(), {
        phase: 'beforeShutdown',
        order: FLIP_ORDER,
      }),
      coordinator.task('health: close probes', () => this.close(), { phase: 'onShutdown', order: CLOSE_ORDER }),
    ];
    return () => {
      for (const remove of undo) remove();
    };
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
    const { ok, checks } = await runChecks(this.#config.checks, this.#config.clock);
    return { ready: ok && this.#state === 'serving', state: this.#state, checks };
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
    writeAnswer(req, res, status, result, this.#config.detail);
  }
}
