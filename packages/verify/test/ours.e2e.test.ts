// lastcall-verify against our own services: the express 5 example (signal mode, a slow request in
// flight at each SIGTERM) and the end-to-end backend behind a generated HAProxy config (rolling
// mode, POSTs with a body): 0 failed requests, every exit 0, the CLI exits 0.
import * as path from 'node:path';
import { backendScript, describeWith } from '@lastcall/e2e';
import { figures, ROOT, startCli } from './run-cli';

test('the express 5 example, SIGTERM under load twice: 0 failed, the slow request completes, exit 0', async () => {
  const run = await startCli(
    [
      '--json',
      '--runs',
      '2',
      '--slow',
      '/slow',
      '--grace',
      '30s',
      '--cwd',
      path.join(ROOT, 'examples', 'express5'),
      '--',
      process.execPath,
      '--import',
      'tsx',
      'src/server.ts',
    ],
    60_000,
  );
  console.log(figures('express5 signal', run));
  expect(run.report?.runs).toHaveLength(2);
  expect(run.report?.total.ok).toBeGreaterThan(100);
  expect(run.report?.total.failed).toBe(0);
  expect(run.report?.runs.map((r) => [r.exitCode, r.slow?.completed, r.fitsGrace])).toEqual([
    [0, true, true],
    [0, true, true],
  ]);
  expect(run.code).toBe(0);
}, 70_000);

describeWith('haproxy')('behind HAProxy', () => {
  test('the end-to-end backend (readiness + AcknowledgedDelayDrain), 4 rolling restarts: 0 failed, readiness turns before the listener closes, exit 0', async () => {
    const script = await backendScript();
    const run = await startCli(
      [
        '--json',
        '--mode',
        'rolling',
        '--rounds',
        '2',
        '--readiness',
        '/readyz',
        '--port-env',
        'E2E_PORT',
        '--check-interval',
        '200ms',
        '--post',
        '/echo',
        '--body-size',
        '16384',
        '--',
        process.execPath,
        script,
      ],
      60_000,
    );
    console.log(figures('e2e backend rolling haproxy', run));
    expect(run.report?.runs).toHaveLength(4);
    expect(run.report?.total.posts).toBeGreaterThan(50);
    expect(run.report?.total.failed).toBe(0);
    expect(run.report?.total.causes).toEqual({});
    for (const r of run.report?.runs ?? []) {
      expect(r.exitCode).toBe(0);
      expect(r.readinessTurned).toBeLessThan(r.listenerClosed ?? Infinity);
    }
    expect(run.code).toBe(0);
  }, 70_000);
});
