// The acknowledged delay's end, apart from the drain that waits for it: flip the health to
// draining, count the not-ready answers, and settle once they reach the thresholds.
// Internal: not exported from the package index.
import type { ShutdownContext } from '@lastcall/core';
import type { Health } from './Health.js';
import type { NotReadyAnswers } from './state.js';

/**
 * The delay's end: readiness 503 and agent-check `drain` from this instant (it runs first in
 * `begin()`), then resolves `settleTime` after the acknowledging answer (`acknowledged` says
 * which one is). `stop` aborts when the delay ended otherwise (`maxDelay`, the deadline): the
 * subscription and timer go.
 */
export function acknowledgement(
  health: Health,
  settleTime: number,
  acknowledged: (answers: NotReadyAnswers) => boolean,
  context: ShutdownContext,
  stop: AbortSignal,
): Promise<'acknowledged'> {
  health.beginShutdown();
  const { clock } = context;
  return new Promise((resolve) => {
    let timer: unknown;
    let unsubscribe: (() => void) | undefined;
    const settle = (): void => {
      unsubscribe?.();
      unsubscribe = undefined;
      if (timer !== undefined) return;
      const wait = Math.min(settleTime, Math.max(0, context.deadline - clock.now()));
      if (wait === 0) resolve('acknowledged');
      else timer = clock.setTimeout(() => resolve('acknowledged'), wait);
    };
    stop.addEventListener(
      'abort',
      () => {
        unsubscribe?.();
        if (timer !== undefined) clock.clearTimeout(timer);
      },
      { once: true },
    );
    if (acknowledged(health.notReadyAnswers)) settle();
    else {
      unsubscribe = health.onNotReadyAnswer((_channel, answers) => {
        if (acknowledged(answers)) settle();
      });
    }
  });
}
