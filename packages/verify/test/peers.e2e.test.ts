// lastcall-verify against services that shut down without lastcall, each written as its own docs
// or README shows it (fixtures/): Node's own server.close(), http-terminator and @godaddy/terminus.
// Node's close must be reported failing behind HAProxy and under pm2 reload, with exit code 1. The
// other two are measured (their figures go on docs/benchmarks.md) and the CLI must agree with its
// own report: exit 1 exactly when a request failed or an exit was not 0.
import * as path from 'node:path';
import { describeWith } from '@lastcall/e2e';
import { FIXTURES, figures, ROOT, startCli } from './run-cli';

const service = (file: string): string[] => ['--', process.execPath, path.join(FIXTURES, file)];
/** 32 keep-alive clients, a quarter POSTs with a 1 KiB body: the benchmark's client count. */
const LOAD = ['--clients', '32', '--post', '/items'];

describeWith('haproxy')('behind HAProxy', () => {
  test("Node's own server.close(), 4 rolling restarts: failed requests reported, exit 1", async () => {
    const run = await startCli(
      ['--json', '--mode', 'rolling', '--rounds', '2', ...LOAD, ...service('node-close.cjs')],
      90_000,
    );
    console.log(figures('node-close rolling haproxy', run));
    expect(run.report?.runs).toHaveLength(4);
    expect(run.report?.total.ok).toBeGreaterThan(1_000);
    expect(run.report?.total.failed).toBeGreaterThan(0);
    expect(run.report?.passed).toBe(false);
    expect(run.code).toBe(1);
  }, 100_000);

  test.each([
    ['http-terminator', 'http-terminator.cjs', []],
    ['@godaddy/terminus', 'terminus.cjs', ['--readiness', '/healthcheck']],
  ])(
    '%s, 4 rolling restarts: measured, and the exit code agrees with the report',
    async (name, file, extra) => {
      const run = await startCli(
        ['--json', '--mode', 'rolling', '--rounds', '2', ...LOAD, ...extra, ...service(file)],
        90_000,
      );
      console.log(figures(`${name} rolling haproxy`, run));
      expect(run.report?.runs).toHaveLength(4);
      // Load reached the service during the restarts. How much is not a property of the tool: the
      // totals count the requests from each signal until the new instance is in rotation, a quick
      // shutdown makes that window short, and HAProxy holds requests to the closed port for its
      // retries (82 and 87 in one CI run), so any positive count will do.
      expect(run.report?.total.ok).toBeGreaterThan(0);
      const bad = (run.report?.total.failed ?? 1) > 0 || (run.report?.total.badExits ?? 1) > 0;
      expect(run.report?.passed).toBe(!bad);
      expect(run.code).toBe(bad ? 1 : 0);
    },
    100_000,
  );
});

test.each([
  // Node's own close is left out here: with clients keeping their connections busy it never exits, so
  // each run waits out the budget (2 x 10 s of CI time to learn what its balancer and pm2 rows show).
  ['http-terminator', 'http-terminator.cjs', []],
  ['@godaddy/terminus', 'terminus.cjs', ['--readiness', '/healthcheck']],
])(
  '%s, SIGTERM under load twice (budget 5 s): measured, and the exit code agrees with the report',
  async (name, file, extra) => {
    const run = await startCli(
      ['--json', '--runs', '2', '--grace', '5s', '--slow', '/slow', ...LOAD, ...extra, ...service(file)],
      90_000,
    );
    console.log(figures(`${name} signal`, run));
    expect(run.report?.runs).toHaveLength(2);
    expect(run.report?.total.ok).toBeGreaterThan(100);
    const bad =
      (run.report?.total.failed ?? 1) > 0 ||
      (run.report?.total.badExits ?? 1) > 0 ||
      (run.report?.total.slowFailed ?? 1) > 0;
    expect(run.report?.passed).toBe(!bad);
    expect(run.code).toBe(bad ? 1 : 0);
  },
  100_000,
);

test("Node's own server.close() under pm2 (cluster mode, 2 instances), 3 reloads: failed requests reported, exit 1, pm2's daemon gone", async () => {
  const run = await startCli(
    [
      '--json',
      '--mode',
      'pm2',
      '--ecosystem',
      path.join(FIXTURES, 'node-close.ecosystem.config.cjs'),
      '--pm2',
      path.join(ROOT, 'node_modules', '.bin', 'pm2'),
      ...LOAD,
    ],
    120_000,
  );
  console.log(figures('node-close pm2', run));
  expect(run.report?.runs).toHaveLength(3);
  expect(run.report?.total.ok).toBeGreaterThan(100);
  expect(run.report?.total.failed).toBeGreaterThan(0);
  expect(run.code).toBe(1);
}, 130_000);
