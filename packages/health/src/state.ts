// The health's public shapes, in a leaf module: Health.ts, the checks, the HTTP answers and the
// acknowledged delay all use them, and Health.ts imports those.
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * `starting` until the application says it is ready (`markStarted()`, or at creation with the
 * default `started: true`), `serving`, then `draining` from `beginShutdown()` to the exit.
 */
export type HealthState = 'starting' | 'serving' | 'draining';

/** What a readiness evaluation found. */
export interface ReadinessResult {
  /** True when serving and every check came out `ok`. */
  readonly ready: boolean;
  /** The health state the result was made in. */
  readonly state: HealthState;
  /**
   * Each check's outcome by name: `ok`, `failed` (returned false, threw, rejected) or `timeout`.
   * Empty when no check ran (not serving, or no checks).
   */
  readonly checks: Readonly<Record<string, 'ok' | 'failed' | 'timeout'>>;
}

/** Not-ready answers sent since shutdown began, by channel. */
export interface NotReadyAnswers {
  /** Not-ready (503) readiness answers sent to HTTP probes. */
  readonly readiness: number;
  /** Agent-check `drain` answers sent. */
  readonly agentCheck: number;
}

/** A plain Node request listener: fits http, https, express, and the raw objects of koa, fastify, Hono. */
export type ProbeHandler = (req: IncomingMessage, res: ServerResponse) => void;
