// Several drains run as one: every call reaches every drain, in order, and one drain's
// failure is recorded without stopping the others.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShutdownContext } from '../context.js';
import { InvalidOptionRangeError, InvalidOptionTypeError } from '../errors.js';
import type { Connection } from '../registry/Connection.js';
import type { DrainStrategy } from './DrainStrategy.js';

/**
 * Runs several drains as one, the way a multi-processor fans out in OpenTelemetry: `begin`,
 * `onRequest`, `onIdle`, `onSession`, `onConnection` and `dispose` reach each drain in the
 * order given. A drain that throws (or whose `begin` rejects) is recorded in
 * `report.failures`, named by its class, and the others still run.
 *
 * Order matters where drains touch the same thing: put the HTTP drain (`KeepAliveDrain`)
 * first, so the listener closes before a protocol drain tells its clients to go (a client
 * that reconnects at once is then refused, not accepted again).
 */
export class CombinedDrain implements DrainStrategy {
  /** The drains combined, in the order every callback reaches them. */
  readonly drains: readonly DrainStrategy[];
  #context: ShutdownContext | undefined;
  readonly #onFailure: ((error: unknown, drain: DrainStrategy) => void) | undefined;

  /**
   * @param onFailure where a drain's throw or rejection goes; by default the context's
   * `reportFailure` (the terminator's run passes its own, to record it as a drain failure).
   */
  constructor(drains: readonly DrainStrategy[], onFailure?: (error: unknown, drain: DrainStrategy) => void) {
    this.#onFailure = onFailure;
    const where = 'combineDrains';
    if (!Array.isArray(drains)) throw new InvalidOptionTypeError(where, 'drains', 'an array of drains', drains);
    if (drains.length === 0) throw new InvalidOptionRangeError(where, 'drains', 'at least one drain', drains);
    drains.forEach((drain: unknown, index) => {
      if (typeof (drain as Partial<DrainStrategy> | null)?.begin !== 'function') {
        throw new InvalidOptionTypeError(where, `drains[${index}]`, 'a drain: an object with a begin() method', drain);
      }
    });
    // Nested combinations are flattened: one level to walk, one failure record per drain.
    this.drains = drains.flatMap((drain) => (drain instanceof CombinedDrain ? drain.drains : [drain]));
  }

  begin(context: ShutdownContext): void | Promise<void> {
    this.#context = context;
    let pending: Promise<void>[] | undefined;
    for (const drain of this.drains) {
      try {
        const result = drain.begin(context);
        if (result !== undefined && typeof result.then === 'function') {
          pending ??= [];
          pending.push(result.then(undefined, (error: unknown) => this.#report(context, error, drain)));
        }
      } catch (error) {
        this.#report(context, error, drain);
      }
    }
    if (pending !== undefined) return Promise.all(pending).then(() => undefined);
  }

  onRequest(
    connection: Connection,
    request: IncomingMessage,
    response: ServerResponse,
    context: ShutdownContext,
  ): void {
    for (const drain of this.drains) {
      if (drain.onRequest === undefined) continue;
      try {
        drain.onRequest(connection, request, response, context);
      } catch (error) {
        this.#report(context, error, drain);
      }
    }
  }

  onIdle(connection: Connection, context: ShutdownContext): void {
    this.#each('onIdle', connection, context);
  }

  onSession(connection: Connection, context: ShutdownContext): void {
    this.#each('onSession', connection, context);
  }

  onConnection(connection: Connection, context: ShutdownContext): void {
    this.#each('onConnection', connection, context);
  }

  /**
   * Disposes every drain. `dispose()` is synchronous by contract; a drain that returns a
   * promise anyway makes this return one too (its rejection recorded), for the caller to bound.
   */
  dispose(): Promise<void> | undefined {
    const errors: unknown[] = [];
    const context = this.#context;
    let pending: PromiseLike<void>[] | undefined;
    for (const drain of this.drains) {
      try {
        const result: unknown = drain.dispose?.();
        if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
          pending ??= [];
          pending.push(
            (result as PromiseLike<unknown>).then(
              () => undefined,
              (error: unknown) => (context ? this.#report(context, error, drain) : undefined),
            ),
          );
        }
      } catch (error) {
        if (context) this.#report(context, error, drain);
        else errors.push(error);
      }
    }
    this.#context = undefined;
    // Never begun: no report to record in, so the caller hears of it.
    if (errors.length > 0) throw new AggregateError(errors, 'combineDrains: dispose() failed');
    return pending === undefined ? undefined : Promise.all(pending).then(() => undefined);
  }

  #report(context: ShutdownContext, error: unknown, drain: DrainStrategy): void {
    if (this.#onFailure !== undefined) this.#onFailure(error, drain);
    else context.reportFailure(error, drain);
  }

  /** The callbacks that take (connection, context), passed to each drain that has one. */
  #each(callback: 'onIdle' | 'onSession' | 'onConnection', connection: Connection, context: ShutdownContext): void {
    for (const drain of this.drains) {
      const method = drain[callback];
      if (method === undefined) continue;
      try {
        method.call(drain, connection, context);
      } catch (error) {
        this.#report(context, error, drain);
      }
    }
  }
}

/** Runs several drains as one (see `CombinedDrain`); a single drain is returned as it is. */
export function combineDrains(...drains: DrainStrategy[]): DrainStrategy {
  if (drains.length === 1 && typeof drains[0]?.begin === 'function') return drains[0];
  return new CombinedDrain(drains);
}
