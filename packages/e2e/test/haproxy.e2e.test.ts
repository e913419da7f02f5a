// Rolling restarts behind a real HAProxy (Debian's package), health-checked on the readiness probe,
// then with agent-check: keep-alive clients sending GETs and a quarter POSTs with a body (each
// checked for its complete answer); 0 failed requests in every run, every backend exits 0.
import { describeWith, FALL } from '@lastcall/e2e';
import { PER_RUN, RUNS, repeat } from './runs';

const SHUTDOWNS = PER_RUN.backends * PER_RUN.rounds;

describeWith('haproxy')('rolling restart behind HAProxy', () => {
  it.each([
    ['option httpchk on the readiness probe', 'haproxy-httpchk'],
    ['agent-check', 'haproxy-agent'],
  ] as const)(
    `%s: 0 failed requests (GETs and POSTs) in ${RUNS} runs, every backend exits 0`,
    async (_name, kind) => {
      const results = await repeat(kind, { kind });
      for (const result of results) {
        expect(result.shutdowns.map((s) => s.exitCode)).toEqual(Array(SHUTDOWNS).fill(0));
        expect(result.counts.ok).toBeGreaterThan(200);
        expect(result.counts.posts).toBeGreaterThan(20);
      }
      expect(results.map((r) => r.counts.causes)).toEqual(Array(RUNS).fill({}));
      expect(results.map((r) => r.counts.failed)).toEqual(Array(RUNS).fill(0));
      // The delay ends on the balancer's acknowledgement, well before the 1 s bound.
      const slowest = Math.max(...results.flatMap((r) => r.shutdowns.map((s) => s.exit?.sigtermToExitMs ?? Infinity)));
      expect(slowest).toBeLessThan((FALL + 2) * 200 + 300);
    },
    RUNS * 20_000 + 20_000,
  );
});
