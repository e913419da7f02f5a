// One run of the readiness checks: all together, each under its own timeout (its signal aborts
// then), each outcome by name.
import { type Clock, withTimeout } from '@lastcall/core';
import type { ResolvedCheck } from './options.js';
import type { ReadinessResult } from './state.js';

type CheckOutcome = ReadinessResult['checks'][string];

export async function runChecks(
  checks: readonly ResolvedCheck[],
  clock: Clock,
): Promise<{ readonly ok: boolean; readonly checks: Record<string, CheckOutcome> }> {
  const outcomes = await Promise.all(
    checks.map(async (check): Promise<[string, CheckOutcome]> => {
      const controller = new AbortController();
      const run = Promise.resolve()
        .then(() => check.run(controller.signal))
        .then(
          (value): CheckOutcome => (value === false ? 'failed' : 'ok'),
          (): CheckOutcome => 'failed',
        );
      const outcome = await withTimeout(run, check.timeout, clock, (): CheckOutcome => {
        controller.abort();
        return 'timeout';
      });
      return [check.name, outcome];
    }),
  );
  return { ok: outcomes.every(([, outcome]) => outcome === 'ok'), checks: Object.fromEntries(outcomes) };
}
