// The conformance suite's one harness: node:test's `test` (Node, Deno and Bun each run it with
// their own runner), plus a line of JSON per check written to $CONFORMANCE_RESULTS, so that
// scripts/conformance.mjs builds one table from five runners whose output formats differ.
import { appendFileSync } from 'node:fs';
import { test } from 'node:test';

/** Which runtime runs this file: `bun`, `deno` or `node`, from the versions it reports about itself. */
export const runtime =
  process.versions.bun !== undefined ? 'bun' : process.versions.deno !== undefined ? 'deno' : 'node';

/** How long one check may take before it fails, in milliseconds: every wait inside is bounded below this. */
const CHECK_TIMEOUT = 20_000;

function record(entry) {
  const file = process.env.CONFORMANCE_RESULTS;
  if (file) appendFileSync(file, `${JSON.stringify({ runtime, ...entry })}\n`);
}

/**
 * One check of the contract. `fn` receives `defer(cleanup)`; cleanups run after it, last first,
 * whatever happened. `gaps` names the runtimes on which the check is known not to hold, each with
 * the runtime's issue and why: there it still runs, and a failure is recorded as a documented
 * gap (not a failed run); a pass is recorded as a pass, so the table shows a gap that closed.
 */
export function check(suite, name, fn, { gaps = {} } = {}) {
  const title = `${suite}: ${name}`;
  test(title, { timeout: CHECK_TIMEOUT }, async () => {
    const cleanups = [];
    const started = Date.now();
    try {
      await fn((cleanup) => cleanups.push(cleanup));
      record({ suite, name, status: 'pass', time: Date.now() - started });
    } catch (error) {
      const gap = gaps[runtime];
      const message = error instanceof Error ? error.message : String(error);
      record({ suite, name, status: gap ? 'gap' : 'fail', time: Date.now() - started, message, gap });
      if (!gap) throw error;
    } finally {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch {
          // A cleanup of something already gone: the check's outcome is what counts.
        }
      }
    }
  });
}
