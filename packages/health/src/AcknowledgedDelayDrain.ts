// The acknowledged delay: the listener stays open until the health checkers have been told
// "not ready" as often as their fall threshold, then the drain it wraps begins.
import {
  assertDuration,
  assertKnownOptions,
  type DrainStrategy,
  InvalidOptionRangeError,
  InvalidOptionTypeError,
  ListenerDelayDrain,
  type ShutdownContext,
} from '@lastcall/core';
import type { Health } from './Health.js';
import type { NotReadyAnswers } from './state.js';

/**
 * What sits between the clients and this process, which decides whether responses during the
 * delay say `Connection: close`:
 * - `l7`: a balancer that picks a server per request (HAProxy, nginx, Envoy, cloud ALBs). It
 *   stops sending work when its check fails; `Connection: close` would only make it open new
 *   connections to us, so it is off.
 * - `l4`: connection-level balancing (Kubernetes Services through kube-proxy, `node:cluster`).
 *   A kept-alive connection stays on us until it closes, so `Connection: close` is what moves
 *   its client away: on.
 * - `none`: clients connect directly: on, as for `l4`.
 */
export type BalancerKind = 'l7' | 'l4' | 'none';

/** Options of `AcknowledgedDelayDrain`; only `health` is required. */
export interface AcknowledgedDelayDrainOptions {
  /** The health whose not-ready answers are counted. Required. */
  health: Health;
  /**
   * Not-ready readiness answers (HTTP probes) that acknowledge the shutdown, per checker: the
   * balancer's fall threshold (HAProxy `fall`, Kubernetes `failureThreshold`). Defaults to 3
   * (`DEFAULT_FALL`, the default of both).
   */
  fall?: number;
  /**
   * Agent-check `drain` answers that acknowledge it, per checker. Defaults to 1
   * (`DEFAULT_AGENT_FALL`): HAProxy applies `drain` on the first answer.
   */
  agentFall?: number;
  /**
   * How many checkers probe this process (balancer instances, kubelet); the counts above are
   * multiplied by it. Answers are not told apart by checker, so one fast checker can count for
   * a slow one: `maxDelayMs` and `settleMs` cover the rest. Defaults to 1.
   */
  checkers?: number;
  /**
   * Longest the listener stays open waiting for the acknowledgement, in milliseconds, for
   * balancers we cannot see (cloud load balancers, endpoint propagation). Cut short by the
   * graceful deadline. Defaults to 5000 ms (`DEFAULT_MAX_DELAY_MS`).
   */
  maxDelayMs?: number;
  /**
   * Time after the acknowledging answer before the inner drain begins, in milliseconds: the
   * balancer marks us down right after its last check, and requests it routed just before are
   * still on their way. Defaults to 50 ms (`DEFAULT_SETTLE_MS`).
   */
  settleMs?: number;
  /** What sits in front of this process; decides `Connection: close` during the delay. Defaults to `'none'`. */
  balancer?: BalancerKind;
  /**
   * The drain that begins after the delay: a drain or several (combined in order). Defaults to
   * a `KeepAliveDrain` with its defaults.
   */
  drain?: DrainStrategy | readonly DrainStrategy[];
}

/** Readiness answers per checker that acknowledge a shutdown: HAProxy's and Kubernetes' default fall threshold. */
export const DEFAULT_FALL = 3;
/** Agent-check `drain` answers per checker that acknowledge a shutdown. */
export const DEFAULT_AGENT_FALL = 1;
/** Bound of the acknowledged delay, in milliseconds. */
export const DEFAULT_MAX_DELAY_MS = 5_000;
/** Wait after the acknowledgement before the inner drain begins, in milliseconds. */
export const DEFAULT_SETTLE_MS = 50;
/** What is in front of the process when `balancer` is not given: nothing, clients connect directly. */
export const DEFAULT_BALANCER: BalancerKind = 'none';

/** How the delay ended: acknowledged by the checkers, bounded by `maxDelayMs`, or cut by the graceful deadline. */
export type DelayOutcome = 'acknowledged' | 'maxDelay' | 'deadline';

const WHERE = 'AcknowledgedDelayDrain';
const KNOWN = ['health', 'fall', 'agentFall', 'checkers', 'maxDelayMs', 'settleMs', 'balancer', 'drain'] as const;
const BALANCERS: readonly BalancerKind[] = ['l7', 'l4', 'none'];

/**
 * A wrapper drain (like core's `DelayedCloseDrain`) whose delay ends when the balancers have
 * acknowledged the shutdown rather than after a fixed time: `begin()` flips the health to
 * draining (readiness 503, agent-check `drain`), the listener stays open and serves, and the
 * inner drain begins `settleMs` after the checkers were answered "not ready" `fall` times
 * (readiness) or `agentFall` times (agent-check), per checker; at the latest after `maxDelayMs`.
 * Answers sent before `begin()` (from the moment `health.beginShutdown()` was called) count.
 */
export class AcknowledgedDelayDrain extends ListenerDelayDrain {
  /** The health whose not-ready answers are counted; `begin()` flips it to draining. */
  readonly health: Health;
  /** Not-ready readiness answers per checker that acknowledge the shutdown. Defaults to 3 (`DEFAULT_FALL`). */
  readonly fall: number;
  /** Agent-check `drain` answers per checker that acknowledge the shutdown. Defaults to 1 (`DEFAULT_AGENT_FALL`). */
  readonly agentFall: number;
  /** How many checkers probe this process; `fall` and `agentFall` are multiplied by it. Defaults to 1. */
  readonly checkers: number;
  /**
   * Longest the listener stays open waiting for the acknowledgement, in milliseconds (cut short by the graceful
   * deadline). Defaults to 5000 (`DEFAULT_MAX_DELAY_MS`).
   */
  readonly maxDelayMs: number;
  /**
   * Wait after the acknowledging answer before the inner drain begins, in milliseconds. Defaults to 50
   * (`DEFAULT_SETTLE_MS`).
   */
  readonly settleMs: number;
  /**
   * What sits in front of this process; responses during the delay say `Connection: close` unless it is `l7`. Defaults
   * to `none`.
   */
  readonly balancer: BalancerKind;
  #timers: unknown[] = [];
  #unsubscribe: (() => void) | undefined;
  #context: ShutdownContext | undefined;
  #outcome: DelayOutcome | undefined;
  #delayMs: number | undefined;

  constructor(options: AcknowledgedDelayDrainOptions) {
    assertKnownOptions(WHERE, options, KNOWN);
    const balancer = options.balancer === undefined ? DEFAULT_BALANCER : options.balancer;
    if (!BALANCERS.includes(balancer)) {
      throw new InvalidOptionTypeError(
        WHERE,
        'balancer',
        `one of ${BALANCERS.map((b) => `'${b}'`).join(', ')}`,
        balancer,
      );
    }
    // `closeConnections` (from the base) is true unless `balancer` is `l7`.
    super(WHERE, options.drain, balancer !== 'l7');
    this.balancer = balancer;
    const health = options.health as Partial<Health> | undefined;
    if (typeof health !== 'object' || health === null || typeof health.beginShutdown !== 'function') {
      throw new InvalidOptionTypeError(WHERE, 'health', 'a Health from createHealth()', options.health);
    }
    this.health = options.health;
    this.fall = count(WHERE, 'fall', options.fall, DEFAULT_FALL);
    this.agentFall = count(WHERE, 'agentFall', options.agentFall, DEFAULT_AGENT_FALL);
    this.checkers = count(WHERE, 'checkers', options.checkers, 1);
    this.maxDelayMs = assertDuration(
      WHERE,
      'maxDelayMs',
      options.maxDelayMs === undefined ? DEFAULT_MAX_DELAY_MS : options.maxDelayMs,
    );
    this.settleMs = assertDuration(
      WHERE,
      'settleMs',
      options.settleMs === undefined ? DEFAULT_SETTLE_MS : options.settleMs,
    );
  }

  /** How the last delay ended, once it has; `undefined` before. */
  get outcome(): DelayOutcome | undefined {
    return this.#outcome;
  }

  /** How long the last delay lasted, in milliseconds (settle included); `undefined` before it ended. */
  get delayMs(): number | undefined {
    return this.#delayMs;
  }

  /** True once the not-ready answers counted reach the thresholds. */
  acknowledged(answers: NotReadyAnswers = this.health.notReadyAnswers): boolean {
    return answers.readiness >= this.fall * this.checkers || answers.agentCheck >= this.agentFall * this.checkers;
  }

  override begin(context: ShutdownContext): void {
    // Readiness 503 and agent-check `drain` from the first instant, before anything else.
    this.health.beginShutdown();
    super.begin(context);
  }

  protected startDelay(context: ShutdownContext): void {
    this.#context = context;
    const { clock } = context;
    const started = clock.now();
    const end = (outcome: DelayOutcome): void => {
      if (!this.delaying || this.#outcome !== undefined) return;
      this.#outcome = outcome;
      this.#stop();
      const settle =
        outcome === 'acknowledged' ? Math.min(this.settleMs, Math.max(0, context.deadline - clock.now())) : 0;
      const go = (): void => {
        this.#delayMs = clock.now() - started;
        this.endDelay();
      };
      if (settle > 0) this.#timers.push(clock.setTimeout(go, settle));
      else go();
    };
    const bound = Math.max(0, Math.min(this.maxDelayMs, context.deadline - clock.now()));
    this.#timers.push(clock.setTimeout(() => end(bound < this.maxDelayMs ? 'deadline' : 'maxDelay'), bound));
    if (this.acknowledged()) {
      end('acknowledged');
      return;
    }
    this.#unsubscribe = this.health.onNotReadyAnswer((_channel, answers) => {
      if (this.acknowledged(answers)) end('acknowledged');
    });
  }

  protected stopDelay(): void {
    this.#stop();
    this.#context = undefined;
  }

  /** The same delay, on the same health, around another drain. */
  wrap(inner: DrainStrategy): AcknowledgedDelayDrain {
    return new AcknowledgedDelayDrain({
      health: this.health,
      fall: this.fall,
      agentFall: this.agentFall,
      checkers: this.checkers,
      maxDelayMs: this.maxDelayMs,
      settleMs: this.settleMs,
      balancer: this.balancer,
      drain: inner,
    });
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const clock = this.#context?.clock;
    if (clock) for (const timer of this.#timers.splice(0)) clock.clearTimeout(timer);
  }
}

function count(where: string, option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new InvalidOptionTypeError(where, option, 'a positive integer', value);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidOptionRangeError(where, option, 'a positive integer', value);
  return value;
}
