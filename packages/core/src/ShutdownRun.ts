// One terminate(): the run from "stop accepting" to the report. The terminator makes one run and
// keeps its promise; everything that lives only while draining lives here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock.js';
import type { ShutdownContext } from './context.js';
import { publishDrain, publishForce } from './diagnostics.js';
import { CombinedDrain } from './drain/CombinedDrain.js';
import type { DrainStrategy } from './drain/DrainStrategy.js';
import { StrategyError } from './errors.js';
import { DestroyForce } from './force/DestroyForce.js';
import type { ForceStrategy } from './force/ForceStrategy.js';
import { FORCE_SETTLE_TIMEOUT_MS } from './options.js';
import type { Connection } from './registry/Connection.js';
import { connectionCount } from './registry/ServerTracker.js';
import type { SocketRegistry } from './registry/SocketRegistry.js';
import { buildReport, countAtStart, countOpen, NOTHING_OPEN } from './report.js';
import { runtimeLimitsOf } from './runtime/limits.js';
import type { ServerLike, TerminationFailure, TerminationPhase, TerminationReport, Terminator } from './types.js';
import { withTimeout } from './wait.js';

/** How the graceful period ended: everything closed, `forceNow()`, or the deadline. */
type Outcome = 'settled' | 'forced' | 'deadline';

/** What a run is made of: the terminator's parts and this call's graceful period. */
export interface RunParts {
  readonly terminator: Terminator;
  readonly registry: SocketRegistry;
  readonly servers: readonly ServerLike[];
  readonly drain: DrainStrategy;
  readonly force: ForceStrategy;
  readonly clock: Clock;
  /** The graceful period of this call (milliseconds). */
  readonly gracefulTimeout: number;
}

/**
 * One shutdown. The drain always runs as a `CombinedDrain` (one drain or several): that is the
 * one place where a drain that throws or rejects is isolated and recorded, whoever calls it
 * (the registry's events, a wrapper's timer). The force is bounded and falls back to
 * `DestroyForce`. `result` is made in the constructor: everything up to its first `await`
 * runs synchronously inside `terminate()`.
 */
export class ShutdownRun {
  readonly result: Promise<TerminationReport>;
  readonly #parts: RunParts;
  readonly #drain: CombinedDrain;
  readonly #failures: TerminationFailure[] = [];
  /** Failures a strategy reports through the context belong to the phase running then. */
  #phase: TerminationPhase = 'drain';
  #end: (outcome: Outcome) => void = () => undefined;
  readonly #ended = new Promise<Outcome>((resolve) => {
    this.#end = resolve;
  });

  constructor(parts: RunParts) {
    this.#parts = parts;
    // Whatever phase is running, a drain's failure is a drain failure.
    this.#drain = new CombinedDrain(
      parts.drain instanceof CombinedDrain ? parts.drain.drains : [parts.drain],
      (error, drain) => this.#fail('drain', error, drain),
    );
    this.result = this.#run();
  }

  /** Ends the graceful period now (`forceNow()`); after the end it does nothing. */
  forceNow(): void {
    this.#end('forced');
  }

  #fail(phase: TerminationPhase, error: unknown, strategy?: object): void {
    this.#failures.push({ phase, error: new StrategyError(phase, error, strategy?.constructor?.name) });
  }

  /** A strategy call the shutdown waits for: a throw or rejection is recorded, never thrown. */
  #guard(phase: TerminationPhase, action: () => unknown, strategy?: object): Promise<void> {
    try {
      return Promise.resolve(action()).then(
        () => undefined,
        (error: unknown) => this.#fail(phase, error, strategy),
      );
    } catch (error) {
      this.#fail(phase, error, strategy);
      return Promise.resolve();
    }
  }

  /**
   * A strategy call the shutdown waits for, bounded: one that never settles is recorded as a
   * failure after FORCE_SETTLE_TIMEOUT_MS instead of holding terminate() for ever.
   */
  #bounded(phase: TerminationPhase, what: string, action: () => unknown, strategy?: object): Promise<void> {
    return withTimeout(this.#guard(phase, action, strategy), FORCE_SETTLE_TIMEOUT_MS, this.#parts.clock, () =>
      this.#fail(phase, new Error(`${what} did not settle within ${FORCE_SETTLE_TIMEOUT_MS} ms`), strategy),
    );
  }

  async #run(): Promise<TerminationReport> {
    const { registry, servers, clock, terminator, gracefulTimeout } = this.#parts;
    const drain = this.#drain;
    const started = clock.now();
    // Records of connections that closed while nobody watched are dropped before counting.
    registry.sweep();
    const before = registry.counters();
    const inFlightAtStart = registry.inFlight;
    const { kinds: kindsAtStart, open: trackedAtStart } = countAtStart(registry.connections());
    // The servers' own count, tracked or not; getConnections() reads it now, before the drain.
    const atStartCount = openConnections(servers);

    // One promise resolved straight from the event that decides the end, so the report follows
    // the last close within a few microtasks (no race, timeout or all-of layers in between).
    const onDrained = (): void => this.#end('settled');
    registry.on('drained', onDrained);
    const aborter = new LazyAbort();
    const context: ShutdownContext = Object.freeze({
      registry: registry.view,
      servers,
      clock,
      deadline: started + gracefulTimeout,
      // A getter: the controller is made only for a strategy that reads the signal. Aborting
      // one costs about a tenth of a millisecond (an Event dispatched through an EventTarget),
      // right between the last close and the report; with nobody listening, nobody pays.
      get signal() {
        return aborter.signal;
      },
      reportFailure: (error: unknown, strategy?: object) => this.#fail(this.#phase, error, strategy),
    });
    // The combined drain catches and records each drain's throw: no try/catch here, and no
    // promise made per request.
    const onRequest = (connection: Connection, request: IncomingMessage, response: ServerResponse): void =>
      drain.onRequest(connection, request, response, context);
    const onIdle = (connection: Connection): void => drain.onIdle(connection, context);
    const onConnection = (connection: Connection): void => drain.onConnection(connection, context);
    const onSession = (connection: Connection): void => drain.onSession(connection, context);
    registry.on('request', onRequest);
    registry.on('idle', onIdle);
    registry.on('connection', onConnection);
    registry.on('session', onSession);

    // Also the slow path for what 'drained' cannot see: a server that was not listening when the
    // drain began, whose `close` may never come.
    const settled = Promise.all(servers.map((server) => registry.whenServerClosed(server))).then(() =>
      registry.whenEmpty(),
    );
    void settled.then(onDrained);
    // Synchronously within terminate(): the listeners close before any I/O can be accepted,
    // and responses already queued are marked before their handlers can send them. The
    // combined drain records a rejection of begin() itself; nothing waits for it.
    void drain.begin(context);
    // From here on every close is an event: completion below is event-driven. After begin()
    // (still synchronous: no close event can come in between), so the sockets it destroyed
    // are dropped at once instead of getting a listener for a moment.
    registry.watch();
    const atStart = await atStartCount;
    publishDrain(terminator, atStart, inFlightAtStart, gracefulTimeout);
    // terminate(0), or a deadline already passed, waits 1 ms: begin() has had its turn.
    const deadlineTimer = Number.isFinite(context.deadline)
      ? clock.setTimeout(() => this.#end('deadline'), Math.max(1, context.deadline - clock.now()))
      : undefined;
    if (registry.drained) this.#end('settled');
    const outcome = await this.#ended;
    if (deadlineTimer !== undefined) clock.clearTimeout(deadlineTimer);
    registry.off('drained', onDrained);
    const timedOut = outcome !== 'settled';

    let forced = 0;
    let trackedAtForce = NOTHING_OPEN;
    if (timedOut) {
      this.#phase = 'force';
      aborter.abort();
      trackedAtForce = countOpen(registry.connections());
      forced = await openConnections(servers);
      publishForce(terminator, forced, clock.now() - started);
      const { force } = this.#parts;
      await this.#bounded('force', 'force()', () => force.force(context));
      if (this.#failures.some((failure) => failure.phase === 'force')) {
        // The chosen force failed: the default still ends what is left, so nothing hangs.
        await this.#guard('force', () => new DestroyForce().force(context));
      }
      await withTimeout(settled, FORCE_SETTLE_TIMEOUT_MS, clock, () => undefined);
    }
    aborter.abort();
    registry.off('request', onRequest);
    registry.off('idle', onIdle);
    registry.off('connection', onConnection);
    registry.off('session', onSession);
    // dispose() is synchronous by contract: called in this turn, not behind a timer and a
    // promise. One that returns a promise anyway gets the bounded wait.
    const disposing = drain.dispose();
    if (disposing !== undefined) await this.#bounded('drain', 'dispose()', () => disposing);
    // Before dispose(): it asks the registry what the servers had when tracking began.
    const runtimeLimits = runtimeLimitsOf(servers, registry);
    registry.dispose();

    return buildReport({
      duration: clock.now() - started,
      gracefulTimeout,
      timedOut,
      openAtStart: atStart,
      openAtForce: forced,
      inFlightAtStart,
      kindsAtStart,
      trackedAtStart,
      trackedAtForce,
      before,
      after: registry.counters(),
      failures: this.#failures,
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
