// Rolling restarts behind a real nginx (Debian's open-source package: passive checks only), with
// the configuration docs/load-balancers.md recommends: 0 failed requests, every backend exits 0.
import { describeWith, rollingRestart } from '@lastcall/e2e';

describeWith('nginx')('rolling restart behind nginx', () => {
  it('proxy_next_upstream and an upstream keepalive pool: 0 failed requests, every backend exits 0', async () => {
    // E2E_NGINX_NEXT_UPSTREAM=off shows what the recommended retry is worth.
    const nextUpstream = process.env.E2E_NGINX_NEXT_UPSTREAM !== 'off';
    // nginx's upstream keepalive_timeout (4 s in the tested config): the backends' drain leaves
    // pooled connections to it (AcknowledgedDelayDrain upstreamIdleTimeout; E2E_POOL=off: not).
    const backendEnv = { E2E_UPSTREAM_IDLE_TIMEOUT: '4000' };
    const result = await rollingRestart({ kind: 'nginx', nextUpstream, backendEnv });
    console.log(
      `nginx: ${JSON.stringify({
        ok: result.counts.ok,
        failed: result.counts.failed,
        causes: result.counts.causes,
        steadyP99Ms: Math.round(result.steadyP99Ms),
        restartP99Ms: Math.round(result.restartP99Ms),
        sigtermToExitMs: result.shutdowns.map((s) => s.sigtermToExitMs),
        newConnectionsPerShutdown: result.shutdowns.map((s) => s.exit?.connectionsAfterSigterm),
      })}`,
    );
    expect(result.shutdowns.map((s) => s.exitCode)).toEqual(Array(9).fill(0));
    expect(result.counts.ok).toBeGreaterThan(500);
    expect(result.counts.causes).toEqual({});
    expect(result.counts.failed).toBe(0);
  }, 60_000);
});
