// Rolling restarts behind a real nginx (Debian's open-source package: passive checks only), with
// the configuration docs/load-balancers.md recommends: keep-alive clients sending GETs and a
// quarter POSTs with a body (nginx does not retry a POST it has sent), each checked for its
// complete answer; 0 failed requests in every run, every backend exits 0.
import { describeWith } from '@lastcall/e2e';
import { PER_RUN, RUNS, repeat } from './runs';

describeWith('nginx')('rolling restart behind nginx', () => {
  it(
    `proxy_next_upstream and an upstream keepalive pool: 0 failed requests (GETs and POSTs) in ${RUNS} runs, every backend exits 0`,
    async () => {
      // E2E_NGINX_NEXT_UPSTREAM=off shows what the recommended retry is worth.
      const nextUpstream = process.env.E2E_NGINX_NEXT_UPSTREAM !== 'off';
      const results = await repeat('nginx', { kind: 'nginx', nextUpstream });
      for (const result of results) {
        expect(result.shutdowns.map((s) => s.exitCode)).toEqual(Array(PER_RUN.backends * PER_RUN.rounds).fill(0));
        expect(result.counts.ok).toBeGreaterThan(200);
        expect(result.counts.posts).toBeGreaterThan(20);
      }
      expect(results.map((r) => r.counts.causes)).toEqual(Array(RUNS).fill({}));
      expect(results.map((r) => r.counts.failed)).toEqual(Array(RUNS).fill(0));
    },
    RUNS * 25_000 + 20_000,
  );
});
