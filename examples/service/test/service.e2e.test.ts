// examples/service end to end: a real PostgreSQL and Redis (Debian's packages, started by the test
// on 127.0.0.1), an OTLP/HTTP receiver in the test, keep-alive POST load (each inserts a row and
// enqueues a job), SIGTERM mid-load, five runs. Then the same with the steps in a wrong order:
// each wrong order must show its failure. Needs `apt-get install -y postgresql redis-server`
// (.ci/run installs them); outside CI a missing binary skips the file with a message.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { type Dependency, startPostgres, startRedis } from '../scripts/deps';
import { describeRun, LONG_JOB_EVERY, type RunCounts, runOnce } from './harness';

const RUNS = 5;

function installed(): string | undefined {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'redis-server';
  }
  const root = '/usr/lib/postgresql';
  const found = existsSync(root) && readdirSync(root).some((major) => existsSync(`${root}/${major}/bin/postgres`));
  return found ? undefined : 'postgresql';
}

const missing = installed();
if (missing && process.env.CI !== 'true') {
  console.warn(
    `examples/service e2e skipped: ${missing} is not installed (apt-get install -y postgresql redis-server)`,
  );
}
const describeIf = missing && process.env.CI !== 'true' ? describe.skip : describe;

describeIf('examples/service: SIGTERM under load with PostgreSQL, Redis and OTLP', () => {
  let postgres: Dependency | undefined;
  let redis: Dependency | undefined;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([postgres?.stop(), redis?.stop()]);
  }, 30_000);

  const run = (name: string, misorder?: string): Promise<RunCounts> => {
    if (!postgres || !redis) throw new Error('PostgreSQL and Redis did not start');
    return runOnce(postgres, redis, { run: name, ...(misorder ? { misorder } : {}) });
  };

  test(`the right order, ${RUNS} runs: every 2xx committed, every job completed or handed back, every span exported, exit 0`, async () => {
    let handedBack = 0;
    for (let index = 1; index <= RUNS; index++) {
      const counts = await run(`run${index}`);
      console.log(describeRun(`run ${index}`, counts));
      try {
        expect(counts.exitCode).toBe(0);
        expect(counts.ok).toBeGreaterThan(0);
        expect(counts.rowsCommitted).toBe(counts.ok);
        expect(counts.notOk).toBe(0);
        // After the listener closed, a client's next connection is refused; nothing else.
        expect(Object.keys(counts.unanswered).filter((code) => code !== 'ECONNREFUSED')).toEqual([]);
        expect(counts.jobs.completed + counts.jobs.handedBack + counts.jobs.queued).toBe(counts.jobs.accepted);
        expect(counts.jobs.active).toBe(0);
        expect(counts.stalled).toBe(0);
        expect(counts.runTwice).toBe(0);
        expect(counts.spansReceived).toBe(counts.answered);
        expect(counts.orderErrors).toEqual([]);
        // @lastcall/otel: the shutdown's steps as spans and its metrics, exported by the last step.
        expect(counts.shutdownSpans).toEqual(
          expect.arrayContaining(['http', 'bullmq worker', 'redis', 'postgres pool']),
        );
        expect(counts.metricNames).toEqual(
          expect.arrayContaining(['lastcall.shutdown.duration', 'lastcall.terminate.connections']),
        );
      } catch (error) {
        console.log(counts.lines.join('\n'));
        throw error;
      }
      handedBack += counts.jobs.handedBack;
    }
    // Every seventh job outlasts the worker's finish bound: some were running at each SIGTERM.
    expect(LONG_JOB_EVERY).toBeGreaterThan(0);
    expect(handedBack).toBeGreaterThan(0);
  }, 240_000);

  test('pool ended before the drain: requests in flight fail with "pool after calling end"', async () => {
    const counts = await run('pool-first', 'pool-first');
    console.log(describeRun('misordered pool-first', counts));
    expect(counts.orderErrors.some((line) => /pool after calling end/.test(line))).toBe(true);
    expect(counts.notOk + counts.jobs.failed).toBeGreaterThan(0);
  }, 60_000);

  test('Redis closed before the worker: the worker step times out, its jobs are left active (to stall), exit 1', async () => {
    const counts = await run('redis-first', 'redis-first');
    console.log(describeRun('misordered redis-first', counts));
    // The worker cannot pause, hand back or complete over a closed connection: its step runs into
    // its bound, the exit code is 1, and the jobs it held stay active, to stall and run again.
    expect(counts.exitCode).not.toBe(0);
    expect(counts.jobs.active).toBeGreaterThan(0);
  }, 60_000);

  test('telemetry shut down first: spans of requests answered during the drain are lost', async () => {
    const counts = await run('telemetry-first', 'telemetry-first');
    console.log(describeRun('misordered telemetry-first', counts));
    expect(counts.spansReceived).toBeLessThan(counts.answered);
  }, 60_000);
});
