// The acknowledged delay: the listener stays open until the health checkers have been told
// "not ready" as often as their fall threshold, then the drain it wraps begins.
// The counting of those answers is in acknowledgement.ts, the options' defaults and checks in
// delaySettings.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  assertDuration,
  assertKnownOptions,
  type Connection,
  type DrainStrategy,
  InvalidOptionRangeError,
  InvalidOptionTypeError,
  ListenerDelayDrain,
  type ShutdownContext,
} from '@lastcall/core';

import { acknowledgement } from './acknowledgement.js';
import {
  balancerKind,
  count,
  DEFAULT_AGENT_FALL,
  DEFAULT_FALL,
  DEFAULT_MAX_DELAY,
  DEFAULT_SETTLE_TIME,
  poolDrain,
} from './delaySettings.js';
import type { Health } from './Health.js';
import type { NotReadyAnswers } from './state.js';

/** Options of `AcknowledgedDelayDrain`; only `health` is required. */
export interface AcknowledgedDelayDrainOptions {
  /** The health whose not-ready answers are counted. Required. */
  health: Health;
  /**
   * Not-ready readiness answers (HTTP probes) that acknowledge the shutdown, per checker: the
   * balancer's fall threshold (HAProxy `fall`, Kubernetes `failureThreshold`). Defaults to 3
   * (the default of both).
   */
  fall?: number;
  /**
   * Agent-check `drain` answers that acknowledge it, per checker. Defaults to 1:
   * HAProxy applies `drain` on the first answer.
   */
  agentFall?: number;
  /**
   * How many checkers probe this process (balancer instances, kubelet); the counts above are
   * multiplied by it. Answers are not told apart by checker, so one fast checker can count for
   * a slow one: `maxDelay` and `settleTime` cover the rest. Defaults to 1.
   */
  checkers?: number;
  /**
   * Longest the listener stays open waiting for the acknowledgement, in milliseconds, for
   * balancers we cannot see (cloud load balancers, endpoint propagation). Cut short by the
   * graceful deadline. Defaults to 5000.
   */
  maxDelay?: number;
  /**
   * Time after the acknowledging answer before the inner drain begins, in milliseconds: the
   * balancer marks us down right after its last check, and requests it routed just before are
   * still on their way. Defaults to 50.
   */
  settleTime?: number;
  /** What sits in front of this process; decides `Connection: close` during the delay. Defaults to `'none'`. */
  balancer?: 'l7' | 'l4' | 'none';
  /**
   * With `balancer: 'l7'`: how long the balancer keeps an idle pooled connection to this
   * process, in milliseconds (nginx's upstream `keepalive_timeout`, HAProxy's `timeout
   * http-keep-alive`, an ALB's idle timeout). Once the listener has closed, a pooled connection
   * is then closed only after it has been idle for this long plus 1000 ms, when the balancer has
   * closed it or can no longer pick it, instead of after `KeepAliveDrain`'s 100 ms grace: a
   * balancer with no active check (open-source nginx) keeps reusing its pool, and a POST it sends
   * on a connection we close at that instant is a 502. A request that does arrive is answered
   * with `Connection: close`. Bounded by the graceful deadline, where the force closes what is
   * left: keep the balancer's timeout below the graceful timeout. Defaults to unset (the inner
   * drain's own idle grace).
   */
  upstreamIdleTimeout?: number;
  /**
   * The drain that begins once the listener has closed: a drain or several (combined in
   * order). Defaults to a `KeepAliveDrain` with its defaults (its `idleGrace` is
   * `upstreamIdleTimeout` + 1000 ms when that is set).
   */
  drain?: DrainStrategy | readonly DrainStrategy[];
}

/** How the delay ended: acknowledged by the checkers, bounded by `maxDelay`, or cut by the graceful deadline. */
export type DelayOutcome = 'acknowledged' | 'maxDelay' | 'deadline';

const WHERE = 'AcknowledgedDelayDrain';
const KNOWN = [
  'health',
  'fall',
  'agentFall',
  'checkers',
  'maxDelay',
  'settleTime',
  'balancer',
  'upstreamIdleTimeout',
  'drain',
] as const;

/**
 * A listener delay (core's `ListenerDelayDrain`, like `DelayedCloseDrain`) whose end is the
 * balancers' acknowledgement rather than a fixed time: `begin()` flips the health to draining
 * (readiness 503, agent-check `drain`), the listener stays open and serves, and it closes
 * `settleTime` after the checkers were answered "not ready" `fall` times (readiness) or
 * `agentFall` times (agent-check), per checker; at the latest after `maxDelay`. The listener
 * closes without resetting a client that is reconnecting (see `ListenerDelayDrain`), then the
 * inner drain begins. Answers sent before `begin()` (from the moment `health.beginShutdown()`
 * was called) count.
 *
 * `outcome` and `duration` are on this object however it was registered: passed as `drain`,
 * or registered on a container, where it runs as a copy around the service's drain.
 */
export class AcknowledgedDelayDrain implements DrainStrategy {
  /** The health whose not-ready answers are counted; `begin()` flips it to draining. */
  readonly health: Health;
  /** Not-ready readiness answers per checker that acknowledge the shutdown. Defaults to 3. */
  readonly fall: number;
  /** Agent-check `drain` answers per checker that acknowledge the shutdown. Defaults to 1. */
  readonly agentFall: number;
  /** How many checkers probe this process; `fall` and `agentFall` are multiplied by it. Defaults to 1. */
  readonly checkers: number;
  /**
   * Longest the listener stays open waiting for the acknowledgement, in milliseconds (cut short
   * by the graceful deadline). Defaults to 5000.
   */
  readonly maxDelay: number;
  /** Wait after the acknowledging answer before the listener closes, in milliseconds. Defaults to 50. */
  readonly settleTime: number;
  /**
   * What sits in front of this process; responses during the delay say `Connection: close`
   * unless it is `l7`. Defaults to `none`.
   */
  readonly balancer: 'l7' | 'l4' | 'none';
  /**
   * How long the balancer keeps an idle pooled connection to this process, in milliseconds
   * (`balancer: 'l7'` only); pooled connections close only after that much idle time plus
   * 1000 ms. `undefined` when not set.
   */
  readonly upstreamIdleTimeout: number | undefined;
  #delay: ListenerDelayDrain;

  constructor(options: AcknowledgedDelayDrainOptions) {
    assertKnownOptions(WHERE, options, KNOWN);
    const balancer = balancerKind(WHERE, options.balancer);
    this.balancer = balancer;
    const health = options.health as Partial<Health> | undefined;
    if (typeof health !== 'object' || health === null || typeof health.beginShutdown !== 'function') {
      throw new InvalidOptionTypeError(WHERE, 'health', 'a Health from createHealth()', options.health);
    }
    this.health = options.health;
    this.fall = count(WHERE, 'fall', options.fall, DEFAULT_FALL);
    this.agentFall = count(WHERE, 'agentFall', options.agentFall, DEFAULT_AGENT_FALL);
    this.checkers = count(WHERE, 'checkers', options.checkers, 1);
    this.maxDelay = assertDuration(
      WHERE,
      'maxDelay',
      options.maxDelay === undefined ? DEFAULT_MAX_DELAY : options.maxDelay,
    );
    this.settleTime = assertDuration(
      WHERE,
      'settleTime',
      options.settleTime === undefined ? DEFAULT_SETTLE_TIME : options.settleTime,
    );
    this.upstreamIdleTimeout =
      options.upstreamIdleTimeout === undefined
        ? undefined
        : assertDuration(WHERE, 'upstreamIdleTimeout', options.upstreamIdleTimeout);
    if (this.upstreamIdleTimeout !== undefined && balancer !== 'l7') {
      throw new InvalidOptionRangeError(
        WHERE,
        'upstreamIdleTimeout',
        "set only with balancer 'l7' (a balancer that pools connections to this process)",
        this.upstreamIdleTimeout,
      );
    }
    this.#delay = new ListenerDelayDrain({
      until: (context, signal) =>
        acknowledgement(this.health, this.settleTime, (answers) => this.acknowledged(answers), context, signal),
      maxDelay: this.maxDelay,
      // Not behind an L7 balancer: there it only makes the balancer open new connections to us.
      closeConnections: balancer !== 'l7',
      drain: poolDrain(WHERE, this.upstreamIdleTimeout, options.drain),
    });
  }

  /** The drain that begins once the listener has closed. */
  get drain(): DrainStrategy {
    return this.#delay.drain;
  }

  /** Whether responses during the delay carry `Connection: close` (unless `balancer` is `l7`). */
  get closeConnections(): boolean {
    return this.#delay.closeConnections;
  }

  /** How the last delay ended, once it has; `undefined` before. */
  get outcome(): DelayOutcome | undefined {
    return this.#delay.outcome as DelayOutcome | undefined;
  }

  /**
   * How long the listener stayed open after `begin()`, in milliseconds (settle time and the
   * wait for a quiet accept queue included); `undefined` until it closed.
   */
  get duration(): number | undefined {
    return this.#delay.duration;
  }

  /** True once the not-ready answers counted reach the thresholds. */
  acknowledged(answers: NotReadyAnswers = this.health.notReadyAnswers): boolean {
    return answers.readiness >= this.fall * this.checkers || answers.agentCheck >= this.agentFall * this.checkers;
  }

  /** Starts the delay (see `ListenerDelayDrain`). */
  begin(context: ShutdownContext): void {
    this.#delay.begin(context);
  }

  /** During the delay, asks the connection to close (with `closeConnections`); after it, the inner drain's. */
  onRequest(
    connection: Connection,
    request: IncomingMessage,
    response: ServerResponse,
    context: ShutdownContext,
  ): void {
    this.#delay.onRequest(connection, request, response, context);
  }

  /** Nothing during the delay (the connection stays open); after it, the inner drain's. */
  onIdle(connection: Connection, context: ShutdownContext): void {
    this.#delay.onIdle(connection, context);
  }

  /** During the delay, GOAWAY (with `closeConnections`); after it, the inner drain's. */
  onSession(connection: Connection, context: ShutdownContext): void {
    this.#delay.onSession(connection, context);
  }

  /** During the delay, counted (the listener closes once none arrive); after it, the inner drain's. */
  onConnection(connection: Connection, context: ShutdownContext): void {
    this.#delay.onConnection(connection, context);
  }

  /** Clears the delay's timers and disposes of the inner drain. */
  dispose(): void {
    this.#delay.dispose();
  }

  /** The same delay, on the same health, around another drain; `outcome` and `duration` are read here too. */
  wrap(inner: DrainStrategy): AcknowledgedDelayDrain {
    const copy = new AcknowledgedDelayDrain({
      health: this.health,
      fall: this.fall,
      agentFall: this.agentFall,
      checkers: this.checkers,
      maxDelay: this.maxDelay,
      settleTime: this.settleTime,
      balancer: this.balancer,
      ...(this.upstreamIdleTimeout === undefined ? {} : { upstreamIdleTimeout: this.upstreamIdleTimeout }),
    });
    copy.#delay = this.#delay.wrap(poolDrain(WHERE, copy.upstreamIdleTimeout, inner) as DrainStrategy);
    return copy;
  }
}
