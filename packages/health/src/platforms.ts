// The grace periods of the common platforms by name, for checkShutdownBudget: what each one waits
// between its stop signal and SIGKILL, by default or as configured in its own key and unit.
import { assertKnownOptions, InvalidOptionRangeError, InvalidOptionTypeError } from '@lastcall/core';

/**
 * A platform's grace period by name; its own setting, when given, uses the platform's own key and
 * unit (so it can be copied from the platform's configuration as it is):
 * - `kubernetes`: `terminationGracePeriodSeconds` (seconds; default 30).
 * - `pm2`: `kill_timeout` (milliseconds, as in PM2's ecosystem file; default 1600).
 * - `cloud-run`: 10 s, not configurable.
 * - `heroku`: 30 s, not configurable.
 * - `fly`: `kill_timeout` (fly.toml: seconds, or a duration such as `'10s'`; default 5 s).
 * - `docker`: `stop_timeout` (`docker stop --time`, `--stop-timeout`: seconds; default 10).
 * - `systemd`: `TimeoutStopSec` (seconds, or a time span such as `'1min 30s'`; default 90 s).
 */
export type PlatformGracePeriod =
  | { platform: 'kubernetes'; terminationGracePeriodSeconds?: number }
  | { platform: 'pm2'; kill_timeout?: number }
  | { platform: 'cloud-run' }
  | { platform: 'heroku' }
  | { platform: 'fly'; kill_timeout?: number | string }
  | { platform: 'docker'; stop_timeout?: number }
  | { platform: 'systemd'; TimeoutStopSec?: number | string };

type Platform = PlatformGracePeriod['platform'];

/** Each platform: its default in milliseconds, its own key (if any) and that key's unit. */
const PLATFORMS: Record<Platform, { defaultTime: number; key?: string; unit?: 'ms' | 's' | 'span' }> = {
  kubernetes: { defaultTime: 30_000, key: 'terminationGracePeriodSeconds', unit: 's' },
  pm2: { defaultTime: 1_600, key: 'kill_timeout', unit: 'ms' },
  'cloud-run': { defaultTime: 10_000 },
  heroku: { defaultTime: 30_000 },
  fly: { defaultTime: 5_000, key: 'kill_timeout', unit: 'span' },
  docker: { defaultTime: 10_000, key: 'stop_timeout', unit: 's' },
  systemd: { defaultTime: 90_000, key: 'TimeoutStopSec', unit: 'span' },
};

const UNITS: Record<string, number> = {
  ms: 1,
  msec: 1,
  s: 1_000,
  sec: 1_000,
  second: 1_000,
  seconds: 1_000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

/** Seconds, or a time span as systemd and fly.toml write them (`'90s'`, `'1min 30s'`, `'500ms'`). */
function parseSpan(where: string, option: string, value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new InvalidOptionRangeError(where, option, 'seconds, 0 or more', value);
    return value * 1_000;
  }
  if (typeof value !== 'string') {
    throw new InvalidOptionTypeError(where, option, "seconds, or a time span such as '90s' or '1min 30s'", value);
  }
  const text = value.trim().toLowerCase();
  if (text === 'infinity') return Number.POSITIVE_INFINITY;
  let total = 0;
  let matched = '';
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]*)\s*/g)) {
    const [whole, amount, unit = ''] = match;
    const factor = unit === '' ? 1_000 : UNITS[unit];
    if (factor === undefined) break;
    total += Number(amount) * factor;
    matched += whole;
  }
  if (matched.length !== text.length || matched === '') {
    throw new InvalidOptionRangeError(where, option, "seconds, or a time span such as '90s' or '1min 30s'", value);
  }
  return total;
}

/** The grace period of `{ platform, ... }`, in milliseconds. */
export function platformGracePeriod(value: { platform: unknown }, where: string, option: string): number {
  const name = value.platform;
  if (typeof name !== 'string' || !Object.hasOwn(PLATFORMS, name)) {
    throw new InvalidOptionRangeError(where, `${option}.platform`, `one of ${Object.keys(PLATFORMS).join(', ')}`, name);
  }
  const platform = PLATFORMS[name as Platform];
  assertKnownOptions(`${where} ${option}`, value, platform.key ? ['platform', platform.key] : ['platform']);
  if (!platform.key) return platform.defaultTime;
  const own = (value as Record<string, unknown>)[platform.key];
  if (own === undefined) return platform.defaultTime;
  const at = `${option}.${platform.key}`;
  if (platform.unit === 'span') return parseSpan(where, at, own);
  if (typeof own !== 'number')
    throw new InvalidOptionTypeError(where, at, platform.unit === 'ms' ? 'milliseconds' : 'seconds', own);
  if (!Number.isFinite(own) || own < 0) throw new InvalidOptionRangeError(where, at, '0 or more', own);
  return platform.unit === 's' ? own * 1_000 : own;
}
