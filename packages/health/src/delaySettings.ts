// The acknowledged delay's settings, apart from the drain: defaults, the checks of counts and
// balancer kind, and the inner drain an upstream idle timeout calls for.
// Internal: not exported from the package index.
import { type DrainStrategy, InvalidOptionRangeError, InvalidOptionTypeError, KeepAliveDrain } from '@lastcall/core';

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

/** Readiness answers per checker that acknowledge a shutdown: HAProxy's and Kubernetes' default fall threshold. */
export const DEFAULT_FALL = 3;
/** Agent-check `drain` answers per checker that acknowledge a shutdown. */
export const DEFAULT_AGENT_FALL = 1;
/** Bound of the acknowledged delay, in milliseconds. */
export const DEFAULT_MAX_DELAY = 5_000;
/** Wait after the acknowledgement before the listener closes, in milliseconds. */
export const DEFAULT_SETTLE_TIME = 50;

/**
 * How much longer than the balancer's upstream idle timeout a pooled connection stays open, in
 * milliseconds: the balancer starts its idle clock when it has read our response, a little after
 * ours, and its timer may run late. The same margin `checkKeepAlive` advises for `keepAliveTimeout`.
 */
const POOL_MARGIN = 1_000;

const BALANCERS: readonly BalancerKind[] = ['l7', 'l4', 'none'];

/** The `balancer` option, `none` when not given. */
export function balancerKind(where: string, option: unknown): BalancerKind {
  const balancer = option === undefined ? 'none' : option;
  if (!BALANCERS.includes(balancer as BalancerKind)) {
    throw new InvalidOptionTypeError(
      where,
      'balancer',
      `one of ${BALANCERS.map((b) => `'${b}'`).join(', ')}`,
      balancer,
    );
  }
  return balancer as BalancerKind;
}

/** A count option (`fall`, `agentFall`, `checkers`): a positive integer, `fallback` when not given. */
export function count(where: string, option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new InvalidOptionTypeError(where, option, 'a positive integer', value);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidOptionRangeError(where, option, 'a positive integer', value);
  return value;
}

/**
 * The inner drain: with `upstreamIdleTimeout`, the default `KeepAliveDrain` keeps pooled
 * connections until the balancer is done with them, and a given one that would close them
 * sooner is refused (it would race the balancer's pool, the 502s this option is for).
 */
export function poolDrain(
  where: string,
  upstream: number | undefined,
  drain: DrainStrategy | readonly DrainStrategy[] | undefined,
): DrainStrategy | readonly DrainStrategy[] | undefined {
  if (upstream === undefined) return drain;
  if (drain === undefined) return new KeepAliveDrain({ idleGrace: upstream + POOL_MARGIN });
  for (const keepAlive of keepAliveDrains(drain)) {
    if (keepAlive.idleGrace > upstream) continue;
    throw new InvalidOptionRangeError(
      where,
      'drain',
      `a KeepAliveDrain whose idleGrace is above upstreamIdleTimeout (${upstream} ms), or no drain (then idleGrace is ${upstream + POOL_MARGIN} ms)`,
      `KeepAliveDrain { idleGrace: ${keepAlive.idleGrace} }`,
    );
  }
  return drain;
}

/** The `KeepAliveDrain`s in a drain option: itself, an array's, a combination's. */
function keepAliveDrains(drain: DrainStrategy | readonly DrainStrategy[]): KeepAliveDrain[] {
  if (Array.isArray(drain)) return drain.flatMap((one: DrainStrategy) => keepAliveDrains(one));
  if (drain instanceof KeepAliveDrain) return [drain];
  // A combination (core's `combineDrains`): its drains are listed on it.
  const combined = (drain as { drains?: unknown }).drains;
  if (Array.isArray(combined)) return keepAliveDrains(combined as DrainStrategy[]);
  return [];
}
