// `pm2`: `pm2 reload` of the user's ecosystem file under load, with a PM2_HOME of its own.
// Every process started here is stopped by its pid before the function returns or throws.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VerifyError } from '../errors.js';
import { type Load, subtract } from '../load.js';
import { alive, onKill, sleep, waitForListen } from '../processes.js';
import type { RunReport } from '../report.js';
import { readyWithin } from '../service.js';
import { type CommonRunOptions, countsPart, executable, exitBound, loadFor, progressLine, sendSlow } from './common.js';

export interface Pm2RunOptions extends CommonRunOptions {
  /** The user's ecosystem file. */
  readonly ecosystem: string;
  /** `pm2 reload`s under load. */
  readonly reloads: number;
  /** The port the app listens on (all its instances: cluster mode). */
  readonly port: number;
  /** The pm2 binary; undefined: `pm2` on the PATH, else ./node_modules/.bin/pm2. */
  readonly pm2?: string | undefined;
}

/** Bound of each pm2 command, in milliseconds: a reload waits for new workers' starts and old ones' exits. */
const PM2_COMMAND_BOUND = 60_000;

function findPm2(): string | undefined {
  const local = executable(path.resolve('node_modules', '.bin', 'pm2'));
  if (local !== undefined) return local;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const found = dir === '' ? undefined : executable(path.join(dir, 'pm2'));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `pm2`: `pm2 start` of the ecosystem file with a PM2_HOME of its own, `pm2 reload` under load, `pm2 kill`. */
export async function runPm2(options: Pm2RunOptions): Promise<RunReport[]> {
  const pm2 = options.pm2 === undefined ? findPm2() : executable(options.pm2);
  if (pm2 === undefined) {
    throw new VerifyError(
      'missing-binary',
      `${options.pm2 ?? 'pm2'} is not installed${options.pm2 === undefined ? '' : ' (no executable file there)'}: npm install --save-dev pm2 (or give its path: --pm2)`,
    );
  }
  if (!existsSync(options.ecosystem)) {
    throw new VerifyError('usage', `--ecosystem: no file ${options.ecosystem} (from ${process.cwd()})`);
  }
  const home = mkdtempSync(path.join(os.tmpdir(), 'lastcall-verify-pm2-'));
  const env = {
    ...process.env,
    ...options.service.env,
    PM2_HOME: home,
    [options.service.portEnv ?? 'PORT']: String(options.port),
  };
  const ecosystem = path.resolve(options.ecosystem);
  const seen = new Set<number>();
  const daemonPid = (): number | undefined => {
    try {
      return Number(readFileSync(path.join(home, 'pm2.pid'), 'utf8'));
    } catch {
      return undefined;
    }
  };
  const run = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        pm2,
        args,
        {
          env,
          cwd: options.service.cwd,
          timeout: PM2_COMMAND_BOUND,
          killSignal: 'SIGKILL',
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`pm2 ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`));
          else resolve(stdout);
        },
      );
    });
  const workers = async (): Promise<Array<{ pid: number; status: string; restarts: number }>> => {
    const list = JSON.parse(await run(['jlist'])) as Array<{
      pid: number;
      pm2_env: { status: string; restart_time?: number };
    }>;
    const found = list.map((proc) => ({
      pid: proc.pid,
      status: proc.pm2_env.status,
      restarts: proc.pm2_env.restart_time ?? 0,
    }));
    for (const worker of found) if (worker.pid > 0) seen.add(worker.pid);
    return found;
  };
  const killEverything = (): void => {
    for (const pid of [daemonPid(), ...seen]) {
      if (pid !== undefined && pid > 0 && alive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
    }
  };
  const forget = onKill(killEverything);
  let load: Load | undefined;
  try {
    await run(['start', ecosystem]);
    if (!(await waitForListen(options.port, undefined, options.service.startTimeout ?? 30_000))) {
      throw new VerifyError(
        'never-listens',
        `the app of ${options.ecosystem} did not listen on 127.0.0.1:${options.port} within ${options.service.startTimeout ?? 30_000} ms: does it read ${options.service.portEnv ?? 'PORT'} (or give --port)?`,
      );
    }
    if (options.service.readiness !== undefined) {
      if (
        !(await readyWithin(options.port, options.service.readiness, undefined, options.service.startTimeout ?? 30_000))
      ) {
        throw new VerifyError('readiness', `GET ${options.service.readiness} did not answer 200 under pm2`);
      }
    }
    const startWorkers = await workers();
    const restartsAtStart = startWorkers.reduce((sum, worker) => sum + worker.restarts, 0);
    load = loadFor(options.port, options.load, options.steady + options.reloads * (PM2_COMMAND_BOUND + 5_000) + 10_000);
    await sleep(options.steady);
    options.progress(progressLine(`steady load (${options.steady} ms)`, load.counts));
    const reports: RunReport[] = [];
    for (let reload = 1; reload <= options.reloads; reload++) {
      const snapshot = load.snapshot();
      const slow =
        options.slow === undefined ? undefined : sendSlow(options.port, options.slow, exitBound(options.grace));
      if (slow !== undefined) await sleep(200);
      const started = performance.now();
      await run(['reload', ecosystem]);
      const reloadTime = Math.round(performance.now() - started);
      // The new workers take the load for a moment before the next reload, as in a deploy.
      await sleep(500);
      const now = await workers();
      const restarts = now.reduce((sum, worker) => sum + worker.restarts, 0);
      const counts = subtract(load.snapshot(), snapshot);
      reports.push({
        mode: 'pm2',
        run: reload,
        ...countsPart(counts),
        ...(slow === undefined ? {} : { slow: await slow }),
        reloadTime,
        // pm2 does not report a worker's exit code on reload; a worker that is not online after it crashed.
        exitCode: now.every((worker) => worker.status === 'online')
          ? 0
          : `workers ${now.map((w) => w.status).join(', ')}`,
        ...(options.grace === undefined ? {} : { fitsGrace: reloadTime <= options.grace * Math.max(1, now.length) }),
      });
      options.progress(`${progressLine(`pm2 reload ${reload}/${options.reloads}`, counts)}; took ${reloadTime} ms`);
      if (restarts - restartsAtStart > reload * now.length * 2) {
        throw new VerifyError(
          'crashed',
          `pm2 restarted the app's workers ${restarts - restartsAtStart} times: it crashes under load (pm2 logs in ${home})`,
        );
      }
    }
    await load.stop();
    load = undefined;
    return reports;
  } finally {
    await load?.stop();
    try {
      await run(['kill']);
    } catch {
      // Killed by pid below.
    }
    killEverything();
    forget();
    rmSync(home, { recursive: true, force: true });
  }
}
