// Rolling restarts behind a real HAProxy (Debian's package), health-checked on the readiness probe,
// then with agent-check: 0 failed requests at the keep-alive clients, every backend exits 0.
import { describeWith, FALL, type RollingResult, rollingRestart } from '@lastcall/e2e';

function summary(result: RollingResult): string {
  return JSON.stringify({
    ok: result.counts.ok,
    failed: result.counts.failed,
    causes: result.counts.causes,
    steadyP99Ms: Math.round(result.steadyP99Ms),
    restartP99Ms: Math.round(result.restartP99Ms),
    sigtermToExitMs: result.shutdowns.map((s) => s.sigtermToExitMs),
    newConnectionsPerShutdown: result.shutdowns.map((s) => s.exit?.connectionsAfterSigterm),
  });
}

describeWith('haproxy')('rolling restart behind HAProxy', () => {
  it.each([
    ['option httpchk on the readiness probe', 'haproxy-httpchk'],
    ['agent-check', 'haproxy-agent'],
  ] as const)(
    '%s: 0 failed requests, every backend exits 0',
    async (_name, kind) => {
      const result = await rollingRestart({ kind });
      console.log(`${kind}: ${summary(result)}`);
      expect(result.shutdowns).toHaveLength(9);
      expect(result.shutdowns.map((s) => s.exitCode)).toEqual(Array(9).fill(0));
      expect(result.counts.ok).toBeGreaterThan(500);
      expect(result.counts.causes).toEqual({});
      expect(result.counts.failed).toBe(0);
      // The delay ends on the balancer's acknowledgement, well before the 1 s bound.
      expect(Math.max(...result.shutdowns.map((s) => s.exit?.sigtermToExitMs ?? Infinity))).toBeLessThan(
        (FALL + 2) * 200 + 300,
      );
    },
    60_000,
  );
});
