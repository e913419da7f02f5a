// Replacements that fail, under keep-alive load: one never sends ready, one exits during startup;
// and old workers that ignore the shutdown message. The old workers keep serving, the restart
// report says what happened, and no request is lost.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  alive,
  bundleFixtures,
  freePort,
  killAll,
  type LogEvent,
  removeBundle,
  startLoad,
  startPrimary,
} from './helpers/processes';

let dir: string;
let faultFile: string;
beforeAll(() => bundleFixtures(), 30_000);
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lastcall-cluster-fault-'));
  faultFile = path.join(dir, 'fault');
});
afterEach(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});
afterAll(() => removeBundle());

interface Slot {
  outcome: string;
  old?: { pid: number };
  readyTime?: number;
  oldStop?: { forced: boolean; exitCode: number | null; signal: string | null };
  replacementStop?: { forced: boolean; exitCode: number | null };
}
const reportOf = (event: LogEvent) => event.report as { outcome: string; slots: Slot[]; forced: number };

// The ready timeout is what ends the never-ready case; the crashing one exits on its own within
// its start-up, which on a starved machine (load average 10 on 2 cores) has taken over 5 s, so
// its timeout is long enough never to be what ends it.
test.each([
  ['never-ready', 'not-ready', 0, 5_000],
  ['crash-startup', 'exited', 3, 20_000],
])(
  'a replacement that is %s: the restart fails, the old worker keeps serving, 0 requests lost',
  async (fault, outcome, exitCode, readyTimeout) => {
    const port = await freePort();
    const primary = await startPrimary({
      PORT: String(port),
      WORKERS: '2',
      READY_TIMEOUT_MS: String(readyTimeout),
      WORKER_DEADLINE_MS: '8000',
      FAULT_FILE: faultFile,
    });
    const before = primary.workerPids();
    const load = await startLoad(port, 16);
    writeFileSync(faultFile, fault);
    primary.child.kill('SIGHUP');
    const end = await primary.waitEvent((event) => event.event === 'restart-end');
    const counts = await load.stop();
    console.log(`${fault}: ${JSON.stringify(counts)}`);
    const report = reportOf(end);
    expect(report.outcome).toBe('failed');
    // The first replacement failed, so the restart stopped there: slot 1 was never touched.
    expect(report.slots).toHaveLength(1);
    expect(report.slots[0]).toMatchObject({ outcome });
    expect(report.slots[0]?.readyTime).toBeUndefined();
    expect(report.slots[0]?.replacementStop).toMatchObject({ forced: false, exitCode });
    expect(before.filter(alive)).toEqual(before);
    expect(counts.failed).toBe(0);
    expect(counts.ok).toBeGreaterThan(50);

    writeFileSync(faultFile, '');
    primary.child.kill('SIGTERM');
    expect(await primary.exited()).toEqual({ code: 0, signal: null });
    expect(primary.workerPids().filter(alive)).toEqual([]);
  },
  50_000,
);

test('old workers that ignore the shutdown message are killed at their deadline, and the report says so', async () => {
  const port = await freePort();
  writeFileSync(faultFile, 'ignore-shutdown');
  const primary = await startPrimary({
    PORT: String(port),
    WORKERS: '2',
    WORKER_DEADLINE_MS: '1000',
    FAULT_FILE: faultFile,
  });
  writeFileSync(faultFile, '');
  primary.child.kill('SIGHUP');
  const report = reportOf(await primary.waitEvent((event) => event.event === 'restart-end'));
  expect(report.outcome).toBe('ok');
  expect(report.forced).toBe(2);
  for (const slot of report.slots) {
    expect(slot.outcome).toBe('replaced');
    expect(slot.oldStop).toMatchObject({ forced: true, exitCode: null, signal: 'SIGKILL' });
  }
  expect(primary.events.filter((event) => event.event === 'kill')).toHaveLength(2);
  primary.child.kill('SIGTERM');
  expect(await primary.exited()).toEqual({ code: 0, signal: null });
  expect(primary.workerPids().filter(alive)).toEqual([]);
}, 40_000);

test('a worker that ignores the shutdown message makes the primary exit 1 on SIGTERM', async () => {
  writeFileSync(faultFile, 'ignore-shutdown');
  const primary = await startPrimary({
    PORT: String(await freePort()),
    WORKERS: '1',
    WORKER_DEADLINE_MS: '1000',
    FAULT_FILE: faultFile,
  });
  primary.child.kill('SIGTERM');
  expect(await primary.exited()).toEqual({ code: 1, signal: null });
  const end = await primary.waitEvent((event) => event.event === 'shutdown-end');
  expect(end.report).toMatchObject({ forced: true, exitCode: 1, workers: [{ forced: true, signal: 'SIGKILL' }] });
  expect(primary.workerPids().filter(alive)).toEqual([]);
}, 30_000);
