import type { Load } from '../load.js';
import { freePorts } from '../processes.js';
import type { RunReport, SlowRequest } from '../report.js';
import { startInstance, watchShutdown } from '../service.js';
import {
  type CommonRunOptions,
  exitBound,
  exitLine,
  exitPart,
  loadFor,
  progressLine,
  sendSlow,
  signalAndAwait,
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
      const exit = await signalAndAwait(child, options.signal, bound, watcher);
      const counts = await load.stop();
      load = undefined;
      const report: RunReport = { mode: 'signal', run, ...(await exitPart(options, counts, slow, exit)) };
      reports.push(report);
      options.progress(exitLine(`${options.signal} ${run}/${options.runs}`, counts, exit));
    } finally {
      await load?.stop();
      await child.stop('SIGKILL');
    }
  }
  return reports;
}
