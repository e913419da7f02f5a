// Repeated rolling-restart runs: a race (a POST on a pooled connection the backend closes at that
// instant) shows only over many tries. E2E_RUNS sets how many: 3 by default (CI's time budget;
// about 15 s a run on a loaded 2-core machine), 10 for issue 16's proof (`E2E_RUNS=10 pnpm test:e2e packages/e2e`).
import { type RollingOptions, type RollingResult, rollingRestart } from '@lastcall/e2e';

/** Runs per test; E2E_RUNS overrides (1 for a quick look, 10 for the proof). */
export const RUNS = Number(process.env.E2E_RUNS ?? 3);

/** 2 backends, 3 rolling restarts each (6 shutdowns), a quarter POSTs with a 16 KiB body. */
export const PER_RUN = { backends: 2, rounds: 3, steadyMs: 500 } as const;

export function summary(result: RollingResult): string {
  return JSON.stringify({
    ok: result.counts.ok,
    posts: result.counts.posts,
    failed: result.counts.failed,
    causes: result.counts.causes,
    steadyP99Ms: Math.round(result.steadyP99Ms),
    restartP99Ms: Math.round(result.restartP99Ms),
    sigtermToExitMs: result.shutdowns.map((s) => s.sigtermToExitMs),
    newConnectionsPerShutdown: result.shutdowns.map((s) => s.exit?.connectionsAfterSigterm),
  });
}

/** `RUNS` runs one after the other; every result, each logged as it ends. */
export async function repeat(name: string, options: RollingOptions): Promise<RollingResult[]> {
  const results: RollingResult[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const result = await rollingRestart({ ...PER_RUN, ...options });
    console.log(`${name} run ${run}/${RUNS}: ${summary(result)}`);
    results.push(result);
  }
  return results;
}
