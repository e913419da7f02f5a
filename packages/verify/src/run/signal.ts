import type { Load } from '../load.js';
import { freePorts } from '../processes.js';
import type { RunReport, SlowRequest } from '../report.js';
import { startInstance, watchShutdown } from '../service.js';
import {
  awaitExit,
  type CommonRunOptions,
  countsPart,
  exitBound,
  loadFor,
  progressLine,
  sendSlow,
  steadyOrCrash,
} from './common.js';

export interface SignalOptions extends CommonRunOptions {
  /** How many times the service is started, loaded and signalled. */
  readonly runs: number;
  /** The service's port; undefined: a free one (given in the port variable). */
  readonly port?: number | undefined;
}

/** `signal`: start, load, signal mid-load, await the exit; `runs` times. */
export async function runSignal(options: SignalOptions): Promise<RunReport[]> {
  const port = options.port ?? ((await freePorts(1))[0] as number);
  const reports: RunReport[] = [];
  for (let run = 1; run <= options.runs; run++) {
    const child = await startInstance(options.service, port, 'service');
    options.progress(`service (pid ${child.pid}) listens on 127.0.0.1:${port}`);
    const bound = exitBound(options.grace);
    let load: Load | undefined;
    try {
      load = loadFor(port, options.load, options.steady + bound + 30_000);
      await steadyOrCrash(child, options.steady, 'during the steady load');
      options.progress(progressLine(`steady load (${options.steady} ms)`, load.counts));
      let slow: Promise<SlowRequest> | undefined;
      if (options.slow !== undefined) {
        slow = sendSlow(port, options.slow, bound);
        // Long enough for the request to reach its handler before the signal.
        await steadyOrCrash(child, 200, 'with the slow request in flight');
      }
      const watcher = watchShutdown(port, options.service.readiness);
      const signalled = performance.now();
      child.process.kill(options.signal);
      const exitCode = await awaitExit(child, bound);
      const signalToExit = Math.round(performance.now() - signalled);
      const order = await watcher.stop();
      const counts = await load.stop();
      load = undefined;
      const report: RunReport = {
        mode: 'signal',
        run,
        ...countsPart(counts),
        ...(slow === undefined ? {} : { slow: await slow }),
        signal: options.signal,
        exitCode,
        signalToExit,
        ...order,
        ...(options.grace === undefined ? {} : { fitsGrace: signalToExit <= options.grace }),
      };
      reports.push(report);
      options.progress(
        `${progressLine(`${options.signal} ${run}/${options.runs}`, counts)}; exit ${exitCode} after ${signalToExit} ms`,
      );
    } finally {
      await load?.stop();
      await child.stop('SIGKILL');
    }
  }
  return reports;
}
