// checkShutdownBudget knows the common platforms' grace periods by name, and reads each one's own
// setting in that platform's key and unit.
import { checkShutdownBudget, type GracePeriod } from '@lastcall/health';

// The budget option names are being renamed (issue 15); read the grace period back whichever way.
function grace(gracePeriod: GracePeriod): number {
  const budget = checkShutdownBudget({
    gracefulTimeoutMs: 1_000,
    gracePeriod,
    emitWarning: false,
  } as never) as unknown as Record<string, number>;
  return budget.gracePeriodMs ?? budget.gracePeriod ?? Number.NaN;
}

test.each([
  [{ platform: 'kubernetes' }, 30_000],
  [{ platform: 'kubernetes', terminationGracePeriodSeconds: 60 }, 60_000],
  [{ platform: 'pm2' }, 1_600],
  [{ platform: 'pm2', kill_timeout: 30_000 }, 30_000],
  [{ platform: 'cloud-run' }, 10_000],
  [{ platform: 'heroku' }, 30_000],
  [{ platform: 'fly' }, 5_000],
  [{ platform: 'fly', kill_timeout: 20 }, 20_000],
  [{ platform: 'fly', kill_timeout: '1m' }, 60_000],
  [{ platform: 'docker' }, 10_000],
  [{ platform: 'docker', stop_timeout: 45 }, 45_000],
  [{ platform: 'systemd' }, 90_000],
  [{ platform: 'systemd', TimeoutStopSec: '1min 30s' }, 90_000],
  [{ platform: 'systemd', TimeoutStopSec: '500ms' }, 500],
  [{ platform: 'systemd', TimeoutStopSec: 15 }, 15_000],
] as Array<[GracePeriod, number]>)('%j is %d ms', (gracePeriod, expected) => {
  expect(grace(gracePeriod)).toBe(expected);
});

test("the shutdown is checked against the platform's default: PM2's 1600 ms is short", () => {
  const budget = checkShutdownBudget({
    gracefulTimeoutMs: 10_000,
    gracePeriod: { platform: 'pm2' },
    emitWarning: false,
  } as never);
  expect(budget.fits).toBe(false);
  expect(budget.warning?.message).toMatch(/over the grace period of 1600 ms/);
});

test('bad input names the option and the value', () => {
  expect(() => grace({ platform: 'nomad' } as never)).toThrow(
    /gracePeriod\.platform.*one of kubernetes, pm2, cloud-run/,
  );
  expect(() => grace({ platform: 'pm2', kill_timeout: -1 })).toThrow(/gracePeriod\.kill_timeout/);
  expect(() => grace({ platform: 'pm2', killTimeout: 3000 } as never)).toThrow(/kill_timeout/);
  expect(() => grace({ platform: 'systemd', TimeoutStopSec: '90 parsecs' })).toThrow(/gracePeriod\.TimeoutStopSec/);
  expect(() => grace({ platform: 'docker', stop_timeout: '10' } as never)).toThrow(/gracePeriod\.stop_timeout/);
});
