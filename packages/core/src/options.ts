// createTerminator's options: validation and defaults, each default defined here once.
import type { DependencyContainer } from 'tsyringe';
import type { Clock } from './clock.js';
import type { DrainStrategy } from './drain/DrainStrategy.js';
import { assertDuration, assertKnownOptions, InvalidOptionRangeError, InvalidOptionTypeError } from './errors.js';
import type { ForceStrategy } from './force/ForceStrategy.js';
import { isServerLike } from './servers.js';
import type { ServerLike } from './types.js';

/** Graceful period of `terminate()` when neither the options nor the call give one, in milliseconds. */
export const DEFAULT_GRACEFUL_TIMEOUT_MS = 10_000;

/**
 * How long `terminate()` waits for sockets to report their close after the force strategy
 * ran, in milliseconds. A destroyed socket closes within a tick; this bound only keeps a
 * misbehaving custom force from hanging the shutdown.
 */
export const FORCE_SETTLE_TIMEOUT_MS = 1_000;

/** A class whose instances are `T`, constructible with no arguments (tsyringe builds it). */
export type StrategyClass<T> = new () => T;

/** One drain as an option: an instance, or a class tsyringe builds once per terminator. */
export type DrainOption = DrainStrategy | StrategyClass<DrainStrategy>;

const KNOWN_OPTIONS = ['server', 'servers', 'gracefulTimeout', 'drain', 'force', 'container', 'clock'] as const;

/** Options of `createTerminator`: give `server` or `servers`; everything else has a default. */
export interface CreateTerminatorOptions {
  /** The server to terminate: http, https, or http2 (h2c or TLS). Or use `servers`. */
  server?: ServerLike;
  /** Several servers terminated together under one graceful period. Or use `server`. */
  servers?: readonly ServerLike[];
  /**
   * Graceful period (milliseconds): how long `terminate()` waits for connections to end
   * before the force strategy ends the rest. `Infinity` waits for ever. Defaults to 10000 (10 s).
   */
  gracefulTimeout?: number;
  /**
   * How connections are asked to end: a drain (an instance, or a class tsyringe builds once
   * per terminator), or several, combined in order (`[new KeepAliveDrain(), new WebSocketDrain({ webSocketServers })]`). Defaults to
   * the container's `TOKENS.drain`, else `KeepAliveDrain`. When the container's drain is a
   * wrapper (`DelayedCloseDrain`), this drain runs inside it; otherwise this one replaces it,
   * with a warning.
   */
  drain?: DrainStrategy | (new () => DrainStrategy) | readonly (DrainStrategy | (new () => DrainStrategy))[];
  /**
   * The force strategy: an instance, a class tsyringe builds once per terminator, or nothing
   * for the container's `TOKENS.force` or the default (`DestroyForce`).
   */
  force?: ForceStrategy | (new () => ForceStrategy);
  /** A tsyringe container to resolve strategies from; a child of it is made per terminator. */
  container?: DependencyContainer;
  /** Time and timers (tests). Defaults to the system clock. */
  clock?: Clock;
}

/** What the terminator runs with, after validation. */
export interface TerminatorConfig {
  readonly servers: readonly ServerLike[];
  readonly gracefulTimeout: number;
}

const WHERE = 'createTerminator';

export function resolveConfig(options: CreateTerminatorOptions): TerminatorConfig {
  assertKnownOptions(WHERE, options, KNOWN_OPTIONS);
  const { server, servers } = options;
  if (server !== undefined && servers !== undefined) {
    throw new InvalidOptionTypeError(WHERE, 'server', 'omitted when "servers" is given', server);
  }
  let list: readonly unknown[];
  if (servers !== undefined) {
    if (!Array.isArray(servers)) throw new InvalidOptionTypeError(WHERE, 'servers', 'an array of servers', servers);
    if (servers.length === 0) throw new InvalidOptionRangeError(WHERE, 'servers', 'a non-empty array', servers);
    list = servers;
  } else {
    if (server === undefined) {
      throw new InvalidOptionTypeError(WHERE, 'server', 'an http, https or http2 server', server);
    }
    list = [server];
  }
  list.forEach((candidate, index) => {
    if (!isServerLike(candidate)) {
      const name = servers === undefined ? 'server' : `servers[${index}]`;
      const hint = notAServerHint(candidate);
      throw new InvalidOptionTypeError(
        WHERE,
        name,
        'an http, https or http2 server',
        candidate,
        hint === undefined ? undefined : { hint },
      );
    }
  });
  const gracefulTimeout = assertDuration(
    WHERE,
    'gracefulTimeout',
    // `=== undefined`, not `??`: an explicit null is bad input, not "use the default".
    options.gracefulTimeout === undefined ? DEFAULT_GRACEFUL_TIMEOUT_MS : options.gracefulTimeout,
    true,
  );
  if (Array.isArray(options.drain)) {
    if (options.drain.length === 0) {
      throw new InvalidOptionRangeError(WHERE, 'drain', 'a drain or a non-empty array of drains', options.drain);
    }
    for (const [index, drain] of options.drain.entries()) assertStrategy(`drain[${index}]`, drain, 'begin');
  } else assertStrategy('drain', options.drain, 'begin');
  assertStrategy('force', options.force, 'force');
  if (options.container !== undefined && typeof options.container?.createChildContainer !== 'function') {
    throw new InvalidOptionTypeError(WHERE, 'container', 'a tsyringe DependencyContainer', options.container);
  }
  const clock = options.clock;
  if (
    clock !== undefined &&
    (typeof clock?.now !== 'function' ||
      typeof clock.setTimeout !== 'function' ||
      typeof clock.clearTimeout !== 'function')
  ) {
    throw new InvalidOptionTypeError(WHERE, 'clock', 'a Clock (now, setTimeout, clearTimeout)', clock);
  }
  return { servers: [...new Set(list as ServerLike[])], gracefulTimeout };
}

/**
 * What to pass instead, when the value is an application rather than its server: an express,
 * connect or koa app (a function, or an object, with `listen()`), or a fastify/hapi-style
 * object whose `server` is the server.
 */
function notAServerHint(value: unknown): string | undefined {
  if ((typeof value !== 'function' && typeof value !== 'object') || value === null) return undefined;
  if (isServerLike((value as { server?: unknown }).server)) return 'pass its .server, the http server inside it';
  if (typeof (value as { listen?: unknown }).listen === 'function') {
    return 'this looks like an application (express, connect, koa): pass the server that app.listen() returns, or http.createServer(app)';
  }
  return undefined;
}

function assertStrategy(option: string, value: unknown, method: string): void {
  if (value === undefined || typeof value === 'function') return;
  if (typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[method] === 'function') {
    return;
  }
  throw new InvalidOptionTypeError(
    WHERE,
    option,
    `a ${option.startsWith('drain') ? 'drain' : 'force'} strategy class or an object with a ${method}() method`,
    value,
  );
}
