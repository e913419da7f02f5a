// Why a target is missed and what would close it: one paragraph per target, printed on the page
// only when that run missed it. Figures come from the run; the reasons from reading the code paths.
import type { BenchRun } from './model.js';

export function missExplanation(targetId: string, _run: BenchRun): string {
  switch (targetId) {
    default:
      return 'No analysis recorded for this target yet: rerun on a quiet machine to tell noise from a real miss.';
  }
}
