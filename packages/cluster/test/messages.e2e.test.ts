// Restart requests made while a restart runs are coalesced into one; a worker's malformed and
// foreign messages are logged and ignored, and the primary goes on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive, bundleFixtures, freePort, killAll, removeBundle, startPrimary } from './helpers/processes';

let dir: string;
let faultFile: string;
beforeAll(() => bundleFixtures(), 30_000);
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lastcall-cluster-msg-'));
  faultFile = path.join(dir, 'fault');
});
afterEach(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});
afterAll(() => removeBundle());

test('restart requests during a restart are coalesced into one; malformed messages are logged and ignored', async () => {
  writeFileSync(faultFile, 'bad-messages');
  const primary = await startPrimary({ PORT: String(await freePort()), WORKERS: '1', FAULT_FILE: faultFile });
  expect(primary.events.some((event) => event.event === 'message-ignored')).toBe(true);
  expect(primary.events.filter((event) => event.event === 'message-invalid')).toHaveLength(2);
  // Slow replacements keep restart 1 running while three more requests arrive.
  writeFileSync(faultFile, 'slow-ready');
  const from = primary.events.length;
  primary.child.kill('SIGHUP');
  await primary.waitEvent((event) => event.event === 'restart-start', 10_000, from);
  for (let signal = 0; signal < 3; signal++) primary.child.kill('SIGHUP');
  await primary.waitEvent((event) => event.event === 'restart-coalesced', 10_000, from);
  await primary.waitEvent((event) => event.event === 'restart-end' && (event.report as { id: number }).id === 2);
  primary.child.kill('SIGTERM');
  expect(await primary.exited()).toEqual({ code: 0, signal: null });
  const restarts = primary.events.filter((event) => event.event === 'restart-start');
  expect(restarts).toHaveLength(2);
  expect(primary.events.filter((event) => event.event === 'restart-coalesced').length).toBeGreaterThanOrEqual(1);
  expect(primary.workerPids().filter(alive)).toEqual([]);
}, 40_000);
