// Start-up warnings: the shutdown budget against the platform's grace period, and the
// keep-alive trap (keepAliveTimeout vs the upstream's idle timeout, headersTimeout vs keepAliveTimeout).
import * as http from 'node:http';
import { checkKeepAlive, checkShutdownBudget, HEALTH_WARNING_CODES, readinessDelay } from '@lastcall/health';

function captureWarnings(run: () => void): Array<{ code: string | undefined; message: string }> {
  const seen: Array<{ code: string | undefined; message: string }> = [];
  const original = process.emitWarning;
  process.emitWarning = ((message: string, options?: { code?: string }) => {
    seen.push({ code: options?.code, message });
  }) as typeof process.emitWarning;
  try {
    run();
  } finally {
    process.emitWarning = original;
  }
  return seen;
}

describe('checkShutdownBudget', () => {
  it('computes the readiness delay from probe settings: failureThreshold x periodSeconds + margin', () => {
    expect(readinessDelay({ failureThreshold: 3, periodSeconds: 5 })).toBe(16_000);
    expect(readinessDelay({ failureThreshold: 2, periodSeconds: 0.2, margin: 100 })).toBeCloseTo(500);
  });

  it('a budget that fits says nothing', () => {
    const warnings = captureWarnings(() => {
      const budget = checkShutdownBudget({
        readinessDelay: { failureThreshold: 2, periodSeconds: 5 },
        gracefulTimeout: 10_000,
        hooksTime: 5_000,
        gracePeriod: { terminationGracePeriodSeconds: 30 },
      });
      expect(budget).toMatchObject({ fits: true, total: 26_000, gracePeriod: 30_000, warning: undefined });
    });
    expect(warnings).toEqual([]);
  });

  it('a budget that cannot fit warns, naming each part and its size', () => {
    const warnings = captureWarnings(() => {
      const budget = checkShutdownBudget({
        readinessDelay: { failureThreshold: 3, periodSeconds: 10 },
        gracefulTimeout: 10_000,
        hooksTime: 5_000,
        gracePeriod: { terminationGracePeriodSeconds: 30 },
      });
      expect(budget.fits).toBe(false);
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.code).toBe(HEALTH_WARNING_CODES.budget);
    expect(warnings[0]?.message).toContain(
      'readiness delay 31000 ms + graceful timeout 10000 ms + hooks 5000 ms = 46000 ms, over the grace period of 30000 ms by 16000 ms',
    );
    const pm2 = checkShutdownBudget({
      gracefulTimeout: 5_000,
      gracePeriod: { pm2KillTimeout: 1_600 },
      emitWarning: false,
    });
    expect(pm2.fits).toBe(false);
  });

  it('bad numbers are named', () => {
    expect(() => checkShutdownBudget({ gracefulTimeout: -1, gracePeriod: 1_000 })).toThrow(/"gracefulTimeout".*-1/);
    expect(() =>
      checkShutdownBudget({ gracefulTimeout: 1, gracePeriod: { terminationGracePeriodSeconds: Number.NaN } }),
    ).toThrow(/"gracePeriod.terminationGracePeriodSeconds".*NaN/);
    expect(() => readinessDelay({ failureThreshold: 0, periodSeconds: 1 })).toThrow(/"timing.failureThreshold".*0/);
    expect(() => checkShutdownBudget({ gracefulTimeout: 1 } as never)).toThrow(/"gracePeriod"/);
  });
});

describe('checkKeepAlive', () => {
  it('warns when keepAliveTimeout is not above the upstream idle timeout, saying what to set', () => {
    const server = http.createServer();
    server.keepAliveTimeout = 5_000; // Node's default
    server.headersTimeout = 60_000;
    const warnings = captureWarnings(() => checkKeepAlive(server, { upstreamIdleTimeout: 'alb' }));
    expect(warnings.map((w) => w.code)).toEqual([HEALTH_WARNING_CODES.keepAlive, HEALTH_WARNING_CODES.headersTimeout]);
    expect(warnings[0]?.message).toContain('Set server.keepAliveTimeout = 61000');
    expect(warnings[1]?.message).toContain('Set server.headersTimeout = 62000');
  });

  it("takes nginx's upstream keepalive_timeout (60 s), not the client-side 75 s", () => {
    const server = http.createServer();
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 70_000;
    const warnings = checkKeepAlive(server, { upstreamIdleTimeout: 'nginx', emitWarning: false });
    expect(warnings[0]?.message).toContain("upstream's idle timeout (60000 ms)");
    server.keepAliveTimeout = 61_000;
    expect(checkKeepAlive(server, { upstreamIdleTimeout: 'nginx', emitWarning: false })).toEqual([]);
  });

  it('is silent when the timeouts are right; warns on headersTimeout alone', () => {
    const server = http.createServer();
    server.keepAliveTimeout = 76_000;
    server.headersTimeout = 77_000;
    expect(checkKeepAlive(server, { upstreamIdleTimeout: 'nginx', emitWarning: false })).toEqual([]);
    server.headersTimeout = 76_000;
    const warnings = checkKeepAlive(server, { upstreamIdleTimeout: 75_000, emitWarning: false });
    expect(warnings.map((w) => w.code)).toEqual([HEALTH_WARNING_CODES.headersTimeout]);
    expect(() => checkKeepAlive(server, { upstreamIdleTimeout: 'elb' as never })).toThrow(
      /"upstreamIdleTimeout".*"elb"/,
    );
  });
});
