// The primary as a supervisor: a worker crashing during startup is re-forked with a growing
// back-off; a crash in the middle of a restart; SIGTERM in the middle of a restart.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive, bundleFixtures, freePort, killAll, removeBundle, startPrimary } from './helpers/processes';

let dir: string;
let faultFile: string;
beforeAll(() => bundleFixtures(), 30_000);
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lastcall-cluster-sup-'));
  faultFile = path.join(dir, 'fault');
});
afterEach(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});
afterAll(() => removeBundle());

test('a worker that exits during startup is re-forked after a back-off that doubles, then recovers', async () => {
  const primary = await startPrimary({
    PORT: String(await freePort()),
    WORKERS: '1',
    CRASH_BACKOFF_MS: '50',
    CRASH_BACKOFF_MAX_MS: '400',
    FAULT_FILE: faultFile,
  });
  const first = primary.workerPids()[0] as number;
  writeFileSync(faultFile, 'crash-startup');
  process.kill(first, 'SIGKILL');
  // The killed worker, then four startup crashes in a row: 50, 100, 200, 400, 400 ms (capped).
  await primary.waitEvent((event) => event.event === 'crash' && event.refork === 400 && event.exitCode === 3);
  await primary.waitEvent(
    (event) => event.event === 'crash' && (event.refork as number) === 400,
    10_000,
    primary.events.findIndex((e) => e.refork === 400) + 1,
  );
  const delays = primary.events.filter((event) => event.event === 'crash').map((event) => event.refork);
  expect(delays.slice(0, 5)).toEqual([50, 100, 200, 400, 400]);
  writeFileSync(faultFile, '');
  const from = primary.events.length;
  await primary.waitEvent((event) => event.event === 'ready', 10_000, from);
  primary.child.kill('SIGTERM');
  expect(await primary.exited()).toEqual({ code: 0, signal: null });
  expect(primary.workerPids().filter(alive)).toEqual([]);
}, 40_000);

test('a worker that crashes during a restart is re-forked; the restart completes; none left behind', async () => {
  const primary = await startPrimary({ PORT: String(await freePort()), WORKERS: '2', FAULT_FILE: faultFile });
  const [, second] = primary.workerPids() as [number, number];
  writeFileSync(faultFile, 'slow-ready');
  const from = primary.events.length;
  primary.child.kill('SIGHUP');
  await primary.waitEvent((event) => event.event === 'fork', 10_000, from);
  process.kill(second, 'SIGKILL'); // slot 1's worker, while slot 0's replacement warms up
  const crash = await primary.waitEvent((event) => event.event === 'crash', 10_000, from);
  expect(crash).toMatchObject({ slot: 1, signal: 'SIGKILL' });
  const end = await primary.waitEvent((event) => event.event === 'restart-end', 20_000, from);
  expect(end.report).toMatchObject({ outcome: 'ok', forced: 0 });
  primary.child.kill('SIGTERM');
  expect(await primary.exited()).toEqual({ code: 0, signal: null });
  expect(primary.workerPids().filter(alive)).toEqual([]);
}, 40_000);

test('SIGTERM in the middle of a restart: the restart aborts, every worker drains and exits 0, the primary exits 0', async () => {
  const primary = await startPrimary({ PORT: String(await freePort()), WORKERS: '2', FAULT_FILE: faultFile });
  writeFileSync(faultFile, 'slow-ready');
  const from = primary.events.length;
  primary.child.kill('SIGHUP');
  await primary.waitEvent((event) => event.event === 'fork', 10_000, from);
  primary.child.kill('SIGTERM');
  expect(await primary.exited()).toEqual({ code: 0, signal: null });
  const end = await primary.waitEvent((event) => event.event === 'restart-end', 1_000, from);
  expect(end.report).toMatchObject({ outcome: 'aborted' });
  const shutdown = await primary.waitEvent((event) => event.event === 'shutdown-end', 1_000, from);
  const workers = (shutdown.report as { workers: { exitCode: number; forced: boolean }[] }).workers;
  expect(workers).toHaveLength(3); // both old workers and the replacement that was warming up
  for (const worker of workers) expect(worker).toMatchObject({ exitCode: 0, forced: false });
  expect(primary.workerPids().filter(alive)).toEqual([]);
}, 40_000);
