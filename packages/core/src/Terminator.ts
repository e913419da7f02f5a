// The terminator: what a service holds (running -> draining -> closed); each terminate() is one ShutdownRun.
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import type { Clock } from './clock.js';
import { publishEnd, publishStart } from './diagnostics.js';
import type { DrainStrategy } from './drain/DrainStrategy.js';
import { assertDuration } from './errors.js';
import type { ForceStrategy } from './force/ForceStrategy.js';
import type { TerminatorConfig } from './options.js';
import type { RegistryView } from './registry/Connection.js';
import type { SocketRegistry } from './registry/SocketRegistry.js';
import { ShutdownRun } from './ShutdownRun.js';
import { INTERNAL_TOKENS, TOKENS } from './tokens.js';
import type { ServerLike, TerminationReport, Terminator, TerminatorState } from './types.js';
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
  /** The one run of `terminate()`, once called. */
  #run: ShutdownRun | undefined;

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
    this.#run = new ShutdownRun({
      terminator: this,
      registry: this.#registry,
      servers: this.servers,
      drain: this.drain,
      force: this.force,
      clock: this.clock,
      gracefulTimeout: timeoutMs,
    });
    this.#result = this.#run.result.then((report) => {
      this.#state = 'closed';
      return publishEnd(this, report);
    });
    return this.#result;
  }

  /**
   * Ends the graceful period now: the force strategy runs at once, and the report says
   * `timedOut: true`. For a second signal or an overall deadline. Before `terminate()` it is
   * `terminate(0)`; after the end it returns the same report.
   */
  forceNow(): Promise<TerminationReport> {
    if (this.#result === undefined) return this.terminate(0);
    this.#run?.forceNow();
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
}
