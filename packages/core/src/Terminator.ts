// The terminator: the state machine running -> draining -> closed, and the report.
import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inject, injectable } from 'tsyringe';
import type { Clock } from './clock.js';
import type { ShutdownContext } from './context.js';
import { publishDrain, publishEnd, publishForce, publishStart } from './diagnostics.js';
import type { DrainStrategy } from './drain/DrainStrategy.js';
import { assertDuration, StrategyError } from './errors.js';
import { DestroyForce } from './force/DestroyForce.js';
import type { ForceStrategy } from './force/ForceStrategy.js';
import { FORCE_SETTLE_TIMEOUT_MS, type TerminatorConfig } from './options.js';
import type { Connection, RegistryView } from './registry/Connection.js';
import { connectionCount } from './registry/ServerTracker.js';
import type { SocketRegistry } from './registry/SocketRegistry.js';
import { buildReport, countAtStart, countOpen, NOTHING_OPEN } from './report.js';
import { runtimeLimitsOf } from './runtime/limits.js';
import { INTERNAL_TOKENS, TOKENS } from './tokens.js';
import type {
  ServerLike,
  TerminationFailure,
  TerminationPhase,
  TerminationReport,
  Terminator,
  TerminatorState,
} from './types.js';
import { withTimeout } from './wait.js';
import { WARNING_CODES, warn } from './warnings.js';

/**
 * The `Terminator` that `createTerminator` resolves: every collaborator comes in through the
 * constructor, so a container can swap any of them. Not exported from the main entry: users
 * get the `Terminator` interface, so the constructor's internal types stay internal.
 */
@injectable()
export class TerminatorImpl implements Terminator {
  #state: TerminatorState = 'running';
  #result: Promise<TerminationReport> | undefined;
  /** Ends the graceful period now; set while draining. */
  #requestForce: (() => void) | undefined;

  readonly #config: TerminatorConfig;
  readonly #registry: SocketRegistry;

  constructor(
    @inject(INTERNAL_TOKENS.config) config: TerminatorConfig,
    @inject(INTERNAL_TOKENS.registry) registry: SocketRegistry,
    /** The drain this terminator runs (the composed one, when drains were combined or wrapped). */
    @inject(TOKENS.drain) readonly drain: DrainStrategy,
    /** The force strategy this terminator runs at the deadline. */
    @inject(TOKENS.force) readonly force: ForceStrategy,
    /** The clock that drives every deadline and timer of this terminator. */
    @inject(TOKENS.clock) readonly clock: Clock,
  ) {
    this.#config = config;
    this.#registry = registry;
    for (const server of config.servers) registry.track(server);
  }

  /** The graceful period `terminate()` uses when it is given none, in milliseconds. */
  get gracefulTimeout(): number {
    return this.#config.gracefulTimeout;
  }

  /** What is open now, read-only: the same view the strategies are handed. */
  get registry(): RegistryView {
    return this.#registry.view;
  }

  /** `'running'` until `terminate()`, `'draining'` while it runs, then `'closed'`. */
  get state(): TerminatorState {
    return this.#state;
  }

  /** The servers this terminator shuts down. */
  get servers(): readonly ServerLike[] {
    return this.#config.servers;
  }

  /**
   * Stops the servers gracefully and resolves with what happened. Idempotent: a second call
   * returns the first call's promise (its argument is then ignored).
   * @param gracefulTimeout milliseconds to wait before forcing; defaults to the terminator's `gracefulTimeout`.
   * @throws TypeError / RangeError at the call when `gracefulTimeout` is not a non-negative number.
   */
  terminate(gracefulTimeout?: number): Promise<TerminationReport> {
    if (this.#result) return this.#result;
    const timeoutMs =
      gracefulTimeout === undefined
        ? this.#config.gracefulTimeout
        : assertDuration('terminate', 'gracefulTimeout', gracefulTimeout, true);
    this.#state = 'draining';
    for (const server of this.servers) {
      if (this.#registry.neverListened(server)) {
        warn(
          WARNING_CODES.notListening,
          'terminate() on a server that never listened: there is nothing to drain (call listen() on the server given to createTerminator, or pass the server that app.listen() returned)',
        );
      }
    }
    publishStart(this, timeoutMs);
    this.#result = this.#run(timeoutMs).then((report) => publishEnd(this, report));
    return this.#result;
  }

  /**
   * Ends the graceful period now: the force strategy runs at once, and the report says
   * `timedOut: true`. For a second signal or an overall deadline. Before `terminate()` it is
   * `terminate(0)`; after the end it returns the same report.
   */
  forceNow(): Promise<TerminationReport> {
    if (this.#result === undefined) return this.terminate(0);
    this.#requestForce?.();
    return this.#result;
  }

  /**
   * Stops tracking without shutting anything down: removes every listener lastcall added to
   * the servers. For a terminator that will not be used; `terminate()` does it by itself.
   */
  dispose(): void {
    if (this.#state === 'draining') return;
    this.#registry.dispose();
  }

  // Everything up to the first `await` runs synchronously inside terminate().
  async #run(timeoutMs: number): Promise<TerminationReport> {
    const { clock, drain } = this;
    const registry = this.#registry;
    const started = clock.now();
    const failures: TerminationFailure[] = [];
    // Records of connections that closed while nobody watched are dropped before counting.
    registry.sweep();
    const before = registry.counters();
    const inFlightAtStart = registry.inFlight;
    const { kinds: kindsAtStart, open: trackedAtStart } = countAtStart(registry.connections());
    // The servers' own count, tracked or not; getConnections() reads it now, before the drain.
    const atStartCount = openConnections(this.servers);

    // How the graceful period ends: settled, forced early by forceNow(), or out of time. One
    // promise resolved straight from the event that decides it, so the report follows the last
    // close within a few microtasks (no race, timeout or all-of layers in between).
    let end: (outcome: 'settled' | 'forced' | 'deadline') => void = () => undefined;
    const ended = new Promise<'settled' | 'forced' | 'deadline'>((resolve) => {
      end = resolve;
    });
    // Set before the first await: forceNow() in the same tick as terminate() is not lost.
    this.#requestForce = () => end('forced');
    const onDrained = (): void => end('settled');
    registry.on('drained', onDrained);
    const aborter = new LazyAbort();
    // Failures a strategy reports through the context belong to the phase running then.
    let phase: TerminationPhase = 'drain';
    const fail = (failedIn: TerminationPhase, error: unknown, strategy?: object): void => {
      failures.push({ phase: failedIn, error: new StrategyError(failedIn, error, strategy?.constructor?.name) });
    };
    const context: ShutdownContext = Object.freeze({
      registry: registry.view,
      servers: this.servers,
      clock,
      deadline: started + timeoutMs,
      // A getter: the controller is made only for a strategy that reads the signal. Aborting
      // one costs about a tenth of a millisecond (an Event dispatched through an EventTarget),
      // right between the last close and the report; with nobody listening, nobody pays.
      get signal() {
        return aborter.signal;
      },
      reportFailure: (error: unknown, strategy?: object) => fail(phase, error, strategy),
    });
    const guard = (failedIn: TerminationPhase, action: () => unknown): Promise<void> => {
      try {
        return Promise.resolve(action()).then(
          () => undefined,
          (error: unknown) => fail(failedIn, error),
        );
      } catch (error) {
        fail(failedIn, error);
        return Promise.resolve();
      }
    };
    // Synchronous callbacks: a throw is recorded at once, with no promise made per request.
    const call = (action: () => void): void => {
      try {
        action();
      } catch (error) {
        fail('drain', error);
      }
    };
    const onRequest = (c: Connection, req: IncomingMessage, res: ServerResponse): void =>
      call(() => drain.onRequest?.(c, req, res, context));
    const onIdle = (c: Connection): void => call(() => drain.onIdle?.(c, context));
    const onConnection = (c: Connection): void => call(() => drain.onConnection?.(c, context));
    const onSession = (c: Connection): void => call(() => drain.onSession?.(c, context));
    registry.on('request', onRequest);
    registry.on('idle', onIdle);
    registry.on('connection', onConnection);
    registry.on('session', onSession);

    // Also the slow path for what 'drained' cannot see: a server that was not listening when the
    // drain began, whose `close` may never come.
    const settled = Promise.all(this.servers.map((server) => registry.whenServerClosed(server))).then(() =>
      registry.whenEmpty(),
    );
    void settled.then(onDrained);
    // A strategy call the shutdown waits for, bounded: one that never settles is recorded as a
    // failure after FORCE_SETTLE_TIMEOUT_MS instead of holding terminate() for ever.
    const bounded = (phase: 'drain' | 'force', what: string, action: () => unknown): Promise<void> =>
      withTimeout(guard(phase, action), FORCE_SETTLE_TIMEOUT_MS, clock, () =>
        fail(phase, new Error(`${what} did not settle within ${FORCE_SETTLE_TIMEOUT_MS} ms`)),
      );
    // Synchronously within terminate(): the listeners close before any I/O can be accepted,
    // and responses already queued are marked before their handlers can send them.
    void guard('drain', () => drain.begin(context));
    // From here on every close is an event: completion below is event-driven. After begin()
    // (still synchronous: no close event can come in between), so the sockets it destroyed
    // are dropped at once instead of getting a listener for a moment.
    registry.watch();
    const atStart = await atStartCount;
    publishDrain(this, atStart, inFlightAtStart, timeoutMs);
    // terminate(0), or a deadline already passed, waits 1 ms: begin() has had its turn.
    const deadlineTimer = Number.isFinite(context.deadline)
      ? clock.setTimeout(() => end('deadline'), Math.max(1, context.deadline - clock.now()))
      : undefined;
    if (registry.drained) end('settled');
    const outcome = await ended;
    if (deadlineTimer !== undefined) clock.clearTimeout(deadlineTimer);
    registry.off('drained', onDrained);
    this.#requestForce = undefined;
    const timedOut = outcome !== 'settled';

    let forced = 0;
    let trackedAtForce = NOTHING_OPEN;
    if (timedOut) {
      phase = 'force';
      aborter.abort();
      trackedAtForce = countOpen(registry.connections());
      forced = await openConnections(this.servers);
      publishForce(this, forced, clock.now() - started);
      await bounded('force', 'force()', () => this.force.force(context));
      if (failures.some((failure) => failure.phase === 'force')) {
        // The chosen force failed: the default still ends what is left, so nothing hangs.
        await guard('force', () => new DestroyForce().force(context));
      }
      await withTimeout(settled, FORCE_SETTLE_TIMEOUT_MS, clock, () => undefined);
    }
    // A drain's begin() that never settles must not hold the shutdown: its failure, if it
    // comes before the report, is recorded by the guard; nothing waits for it beyond that.
    aborter.abort();
    registry.off('request', onRequest);
    registry.off('idle', onIdle);
    registry.off('connection', onConnection);
    registry.off('session', onSession);
    // dispose() is synchronous by contract: called in this turn, not behind a timer and a
    // promise. One that returns a promise anyway gets the bounded wait.
    let disposing: unknown;
    try {
      disposing = drain.dispose?.();
    } catch (error) {
      fail('drain', error);
    }
    if (isPromiseLike(disposing)) await bounded('drain', 'dispose()', () => disposing);
    // Before dispose(): it asks the registry what the servers had when tracking began.
    const runtimeLimits = runtimeLimitsOf(this.servers, registry);
    registry.dispose();
    this.#state = 'closed';

    return buildReport({
      duration: clock.now() - started,
      gracefulTimeout: timeoutMs,
      timedOut,
      openAtStart: atStart,
      openAtForce: forced,
      inFlightAtStart,
      kindsAtStart,
      trackedAtStart,
      trackedAtForce,
      before,
      after: registry.counters(),
      failures,
      runtimeLimits,
    });
  }
}

/** The servers' own count of open connections (`getConnections()`): tracked and untracked. */
async function openConnections(servers: readonly ServerLike[]): Promise<number> {
  const counts = await Promise.all(servers.map(connectionCount));
  return counts.reduce((sum, count) => sum + count, 0);
}

/** An AbortController made on first use: aborting one nobody asked for costs nothing. */
class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller?.abort();
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
