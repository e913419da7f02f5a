// The coordinator plans its deadline around core's settle bound of a force step; core keeps that
// bound private, so lifecycle holds a copy. This keeps the copy equal to core's value.
import { FORCE_SETTLE_TIMEOUT_MS as coreBound } from '../../core/src/options.js';
import { FORCE_SETTLE_TIMEOUT_MS } from '../src/PhaseRunner.js';

it("lifecycle's copy of core's force settle bound is core's value", () => {
  expect(FORCE_SETTLE_TIMEOUT_MS).toBe(coreBound);
});
