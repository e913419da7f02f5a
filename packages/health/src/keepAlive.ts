// The keep-alive trap guard: a backend that closes idle connections before its balancer does
// races the balancer's next request on them (502s, resets).
import type * as http from 'node:http';
import { InvalidOptionTypeError } from '@lastcall/core';
import { assertDurationMs, assertKnownOptions } from '@lastcall/core/internal';
import { assertBoolean } from './options.js';
import { emit, HEALTH_WARNING_CODES, type HealthWarning } from './warnings.js';

/** Idle timeouts of common upstreams, in milliseconds: AWS ALB's default 60 s, nginx's `keepalive_timeout` default 75 s. */
export const UPSTREAM_IDLE_TIMEOUTS_MS = Object.freeze({
  /** AWS Application Load Balancer's default idle timeout: 60 000 ms. */
  alb: 60_000,
  /** nginx's `keepalive_timeout` default: 75 000 ms. */
  nginx: 75_000,
});

/** How far above the upstream's idle timeout the advice sets ours, in milliseconds. */
export const KEEPALIVE_MARGIN_MS = 1_000;

/** Options of `checkKeepAlive`; `upstreamIdleTimeoutMs` is required. */
export interface KeepAliveCheckOptions {
  /**
   * How long the balancer keeps an idle connection to this server: milliseconds (HAProxy's
   * `timeout http-keep-alive`, Envoy's `idle_timeout`), or `'alb'` / `'nginx'`. Required.
   */
  upstreamIdleTimeoutMs: number | keyof typeof UPSTREAM_IDLE_TIMEOUTS_MS;
  /** Emit the warnings through `process.emitWarning`. Defaults to true. */
  emitWarning?: boolean;
}

/** What `checkKeepAlive` reads of a server: an http or https server fits. */
export type KeepAliveServer = Pick<http.Server, 'keepAliveTimeout' | 'headersTimeout'>;

const WHERE = 'checkKeepAlive';

/**
 * Warns (codes `LASTCALL_KEEPALIVE_TIMEOUT`, `LASTCALL_HEADERS_TIMEOUT`) when
 * `server.keepAliveTimeout` is not above the upstream's idle timeout, or `headersTimeout` not
 * above `keepAliveTimeout`; each warning says which value to set. Call it at start-up, after
 * setting the server's timeouts. Returns the warnings (empty when all is well).
 */
export function checkKeepAlive(server: KeepAliveServer, options: KeepAliveCheckOptions): HealthWarning[] {
  if (typeof server !== 'object' || server === null || typeof server.keepAliveTimeout !== 'number') {
    throw new InvalidOptionTypeError(WHERE, 'server', 'an http or https server', server);
  }
  assertKnownOptions(WHERE, options, ['upstreamIdleTimeoutMs', 'emitWarning']);
  const given = options.upstreamIdleTimeoutMs;
  const upstream =
    typeof given === 'string' && Object.hasOwn(UPSTREAM_IDLE_TIMEOUTS_MS, given)
      ? UPSTREAM_IDLE_TIMEOUTS_MS[given]
      : typeof given === 'number'
        ? assertDurationMs(WHERE, 'upstreamIdleTimeoutMs', given)
        : invalidUpstream(given);
  const shouldEmit = assertBoolean(WHERE, 'emitWarning', options.emitWarning, true);
  const warnings: HealthWarning[] = [];
  const { keepAliveTimeout, headersTimeout } = server;
  // 0 disables Node's idle timeout: the server never closes an idle connection first.
  if (keepAliveTimeout !== 0 && keepAliveTimeout <= upstream) {
    const advice = upstream + KEEPALIVE_MARGIN_MS;
    warnings.push({
      code: HEALTH_WARNING_CODES.keepAlive,
      message: `server.keepAliveTimeout (${keepAliveTimeout} ms) is not above the upstream's idle timeout (${upstream} ms): the server can close an idle connection the balancer is about to reuse (502 or reset). Set server.keepAliveTimeout = ${advice}`,
    });
  }
  const effectiveKeepAlive =
    keepAliveTimeout !== 0 && keepAliveTimeout <= upstream ? upstream + KEEPALIVE_MARGIN_MS : keepAliveTimeout;
  if (keepAliveTimeout !== 0 && headersTimeout !== 0 && headersTimeout <= effectiveKeepAlive) {
    const advice = effectiveKeepAlive + KEEPALIVE_MARGIN_MS;
    warnings.push({
      code: HEALTH_WARNING_CODES.headersTimeout,
      message: `server.headersTimeout (${headersTimeout} ms) is not above server.keepAliveTimeout (${effectiveKeepAlive} ms${effectiveKeepAlive === keepAliveTimeout ? '' : ', as advised'}): a request reusing a connection near its idle end can be cut. Set server.headersTimeout = ${advice}`,
    });
  }
  if (shouldEmit) for (const warning of warnings) emit(warning);
  return warnings;
}

function invalidUpstream(value: unknown): never {
  throw new InvalidOptionTypeError(
    WHERE,
    'upstreamIdleTimeoutMs',
    `milliseconds or one of ${Object.keys(UPSTREAM_IDLE_TIMEOUTS_MS).join(', ')}`,
    value,
  );
}
