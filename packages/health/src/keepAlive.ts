// The keep-alive trap guard: a backend that closes idle connections before its balancer does
// races the balancer's next request on them (502s, resets).
import type * as http from 'node:http';
import { assertDuration, assertKnownOptions, InvalidOptionTypeError } from '@lastcall/core';
import { assertBoolean } from './options.js';
import { emit, HEALTH_WARNING_CODES, type HealthWarning } from './warnings.js';

/**
 * Idle timeouts of common upstreams toward a backend, in milliseconds: AWS ALB's default idle
 * timeout (60 s), and nginx's upstream `keepalive_timeout` default (60 s; the 75 s of the
 * http-level `keepalive_timeout` is the client side, not the pooled connections to us).
 */
const UPSTREAM_IDLE_TIMEOUTS = Object.freeze({ alb: 60_000, nginx: 60_000 });

/** How far above the upstream's idle timeout the advice sets ours, in milliseconds. */
const KEEPALIVE_MARGIN = 1_000;

/** Options of `checkKeepAlive`; `upstreamIdleTimeout` is required. */
export interface KeepAliveCheckOptions {
  /**
   * How long the balancer keeps an idle connection to this server: milliseconds (HAProxy's
   * `timeout http-keep-alive`, Envoy's `idle_timeout`), or `'alb'` (AWS ALB's default idle
   * timeout, 60 000) / `'nginx'` (the upstream block's `keepalive_timeout` default, 60 000).
   * Required. The advice sets `keepAliveTimeout` 1000 ms above it.
   */
  upstreamIdleTimeout: number | 'alb' | 'nginx';
  /** Emit the warnings through `process.emitWarning`. Defaults to true. */
  emitWarning?: boolean;
}

const WHERE = 'checkKeepAlive';

/**
 * Warns (codes `LASTCALL_KEEPALIVE_TIMEOUT`, `LASTCALL_HEADERS_TIMEOUT`) when
 * `server.keepAliveTimeout` is not above the upstream's idle timeout, or `headersTimeout` not
 * above `keepAliveTimeout`; each warning says which value to set. Call it at start-up, after
 * setting the server's timeouts. Returns the warnings (empty when all is well).
 */
export function checkKeepAlive(
  /** What it reads of the server: an http or https server fits. */
  server: Pick<http.Server, 'keepAliveTimeout' | 'headersTimeout'>,
  options: KeepAliveCheckOptions,
): HealthWarning[] {
  if (typeof server !== 'object' || server === null || typeof server.keepAliveTimeout !== 'number') {
    throw new InvalidOptionTypeError(WHERE, 'server', 'an http or https server', server);
  }
  assertKnownOptions(WHERE, options, ['upstreamIdleTimeout', 'emitWarning']);
  const given = options.upstreamIdleTimeout;
  const upstream =
    typeof given === 'string' && Object.hasOwn(UPSTREAM_IDLE_TIMEOUTS, given)
      ? UPSTREAM_IDLE_TIMEOUTS[given]
      : typeof given === 'number'
        ? assertDuration(WHERE, 'upstreamIdleTimeout', given)
        : invalidUpstream(given);
  const shouldEmit = assertBoolean(WHERE, 'emitWarning', options.emitWarning, true);
  const warnings: HealthWarning[] = [];
  const { keepAliveTimeout, headersTimeout } = server;
  // 0 disables Node's idle timeout: the server never closes an idle connection first.
  if (keepAliveTimeout !== 0 && keepAliveTimeout <= upstream) {
    const advice = upstream + KEEPALIVE_MARGIN;
    warnings.push({
      code: HEALTH_WARNING_CODES.keepAlive,
      message: `server.keepAliveTimeout (${keepAliveTimeout} ms) is not above the upstream's idle timeout (${upstream} ms): the server can close an idle connection the balancer is about to reuse (502 or reset). Set server.keepAliveTimeout = ${advice}`,
    });
  }
  const effectiveKeepAlive =
    keepAliveTimeout !== 0 && keepAliveTimeout <= upstream ? upstream + KEEPALIVE_MARGIN : keepAliveTimeout;
  if (keepAliveTimeout !== 0 && headersTimeout !== 0 && headersTimeout <= effectiveKeepAlive) {
    const advice = effectiveKeepAlive + KEEPALIVE_MARGIN;
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
    'upstreamIdleTimeout',
    `milliseconds or one of ${Object.keys(UPSTREAM_IDLE_TIMEOUTS).join(', ')}`,
    value,
  );
}
