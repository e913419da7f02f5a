// What a run measured, per shutdown and in total, and the same in plain words for a CI log.

/** How a shutdown was caused. */
export type VerifyMode = 'signal' | 'rolling' | 'pm2';

/** The in-flight slow request of a run. */
export interface SlowRequest {
  /** The path it was sent to (`--slow`). */
  readonly path: string;
  /** It got a complete 2xx answer. */
  readonly completed: boolean;
  /** Why not, when it did not (`reset`, `hangup`, `timeout`, `status 503`...). */
  readonly cause?: string;
}

/** One shutdown: a signal, one instance's restart behind the balancer, or one `pm2 reload`. */
export interface RunReport {
  /** Which kind of shutdown this was. */
  readonly mode: VerifyMode;
  /** 1-based, in order. */
  readonly run: number;
  /** Which instance was restarted (`rolling`), 0-based. */
  readonly instance?: number;
  /** Requests that got a complete 2xx answer. */
  readonly ok: number;
  /** Of those, POSTs with a body. */
  readonly posts: number;
  /** Requests that failed. */
  readonly failed: number;
  /** Failed requests by cause: `reset`, `hangup` (closed mid-answer), `status 502`, `status 503`, `timeout`... */
  readonly causes: Readonly<Record<string, number>>;
  /** Connections refused because nothing listened: counted apart, not failures (a client retries them). */
  readonly refused: number;
  /** The slow request in flight at the signal, when `slow` was given. */
  readonly slow?: SlowRequest;
  /** The signal sent (`signal`, `rolling`). */
  readonly signal?: string;
  /** The instance's exit code, or the signal that ended it (`SIGKILL` when it overran the bound). */
  readonly exitCode?: number | string;
  /** Time from the signal to the exit, in milliseconds. */
  readonly signalToExit?: number;
  /** Time from the signal until readiness stopped answering 200, in milliseconds (with a readiness path). */
  readonly readinessTurned?: number;
  /** Time from the signal until the listener refused connections, in milliseconds. */
  readonly listenerClosed?: number;
  /** Time `pm2 reload` took, in milliseconds (`pm2`). */
  readonly reloadTime?: number;
  /** The shutdown ended within the budget (`grace`). */
  readonly fitsGrace?: boolean;
}

/** What `verify()` measured (the CLI prints it with `formatReport`, or as JSON with `--json`). */
export interface VerifyReport {
  /** True when no request failed and every instance exited 0 (and within the budget, when given). */
  readonly passed: boolean;
  /** One report per shutdown, in order. */
  readonly runs: readonly RunReport[];
  /** The runs added up. */
  readonly total: {
    /** Requests that got a complete 2xx answer. */
    readonly ok: number;
    /** Of those, POSTs with a body. */
    readonly posts: number;
    /** Requests that failed. */
    readonly failed: number;
    /** Failed requests by cause. */
    readonly causes: Readonly<Record<string, number>>;
    /** Refused connections (not failures). */
    readonly refused: number;
    /** Runs whose exit code was not 0. */
    readonly badExits: number;
    /** Runs over the budget. */
    readonly overGrace: number;
    /** Slow requests that did not complete. */
    readonly slowFailed: number;
  };
  /** The shutdown budget, in milliseconds, when one was given. */
  readonly grace?: number;
}

/** Adds the totals and the verdict to the runs. */
export function summarize(runs: readonly RunReport[], grace: number | undefined): VerifyReport {
  const causes: Record<string, number> = {};
  for (const run of runs) {
    for (const [cause, count] of Object.entries(run.causes)) causes[cause] = (causes[cause] ?? 0) + count;
  }
  const sum = (pick: (run: RunReport) => number): number => runs.reduce((total, run) => total + pick(run), 0);
  const total = {
    ok: sum((run) => run.ok),
    posts: sum((run) => run.posts),
    failed: sum((run) => run.failed),
    causes,
    refused: sum((run) => run.refused),
    badExits: runs.filter((run) => run.exitCode !== undefined && run.exitCode !== 0).length,
    overGrace: runs.filter((run) => run.fitsGrace === false).length,
    slowFailed: runs.filter((run) => run.slow !== undefined && !run.slow.completed).length,
  };
  const passed = total.failed === 0 && total.badExits === 0 && total.overGrace === 0 && total.slowFailed === 0;
  return { passed, runs, total, ...(grace === undefined ? {} : { grace }) };
}

const CAUSE_WORDS: Record<string, string> = {
  reset:
    'the connection was reset or closed before any answer (the service closed a keep-alive connection a request was on its way to)',
  hangup:
    'the connection closed in the middle of an answer (the service exited or destroyed the socket while answering)',
  timeout: 'no answer within the request timeout (a request left hanging, or an exit that never came)',
  incomplete: 'a 2xx answer whose body was not the complete one',
  'status 502':
    'the balancer answered 502 Bad Gateway: it sent the request to an instance that had closed, and had no retry left',
  'status 503':
    'the balancer answered 503: no instance was in rotation, or the service itself answered 503 to a request',
  'status 504': 'the balancer answered 504 Gateway Timeout',
};

function words(cause: string): string {
  return CAUSE_WORDS[cause] ?? (cause.startsWith('status ') ? `the answer was ${cause}` : `client error ${cause}`);
}

function exitWords(code: number | string | undefined): string {
  if (typeof code === 'number') return `exited with code ${code}`;
  if (code === 'SIGKILL') return 'did not exit in time and was killed (SIGKILL)';
  // Ended by a signal it did not handle, or re-raised (a shell shows 128 + the signal's number).
  return `was ended by ${String(code)} (not exit code 0)`;
}

function runTitle(run: RunReport): string {
  if (run.mode === 'rolling') return `rolling restart ${run.run} (instance ${run.instance ?? 0})`;
  if (run.mode === 'pm2') return `pm2 reload ${run.run}`;
  return `${run.signal ?? 'signal'} ${run.run}`;
}

/** The report in plain words, one paragraph per run and the verdict last. */
export function formatReport(report: VerifyReport): string {
  const lines: string[] = [];
  for (const run of report.runs) {
    lines.push(`${runTitle(run)}:`);
    lines.push(
      `  ${run.ok} requests answered completely (${run.posts} of them POSTs with a body), ${run.failed} failed` +
        (run.refused > 0 ? `, ${run.refused} connection attempts refused (not counted as failures)` : ''),
    );
    for (const [cause, count] of Object.entries(run.causes)) lines.push(`    ${count} x ${cause}: ${words(cause)}`);
    if (run.slow !== undefined) {
      lines.push(
        run.slow.completed
          ? `  the slow request (GET ${run.slow.path}) in flight at the signal completed`
          : `  the slow request (GET ${run.slow.path}) in flight at the signal did NOT complete: ${run.slow.cause ?? 'no answer'}`,
      );
    }
    if (run.signalToExit !== undefined) {
      lines.push(
        `  ${exitWords(run.exitCode)} ${run.signalToExit} ms after ${run.signal ?? 'the signal'}` +
          (run.fitsGrace === undefined ? '' : run.fitsGrace ? ' (within the budget)' : ' (OVER the budget)'),
      );
    }
    if (run.reloadTime !== undefined) lines.push(`  pm2 reload took ${run.reloadTime} ms`);
    if (run.readinessTurned !== undefined || run.listenerClosed !== undefined) {
      const ready = run.readinessTurned;
      const closed = run.listenerClosed;
      if (ready !== undefined && closed !== undefined) {
        lines.push(
          ready <= closed
            ? `  readiness turned 503 after ${ready} ms, the listener closed after ${closed} ms: the balancer could learn first`
            : `  the listener closed after ${closed} ms, before readiness turned 503 (${ready} ms): a balancer still sends new connections to a closed port`,
        );
      } else if (closed !== undefined) {
        lines.push(`  the listener closed ${closed} ms after the signal${ready === undefined ? '' : ''}`);
      } else if (ready !== undefined) {
        lines.push(
          `  readiness turned 503 ${ready} ms after the signal; the listener accepted connections until the exit`,
        );
      }
    }
  }
  const t = report.total;
  lines.push('');
  lines.push(
    `total over ${report.runs.length} shutdowns: ${t.ok} requests ok (${t.posts} POSTs), ${t.failed} failed, ${t.refused} refused connections (apart)`,
  );
  for (const [cause, count] of Object.entries(t.causes)) lines.push(`  ${count} x ${cause}`);
  if (t.badExits > 0) lines.push(`  ${t.badExits} shutdowns ended with an exit code other than 0`);
  if (t.slowFailed > 0) lines.push(`  ${t.slowFailed} slow requests in flight at the signal did not complete`);
  if (report.grace !== undefined) {
    lines.push(
      t.overGrace === 0
        ? `  every shutdown fit the budget of ${report.grace} ms`
        : `  ${t.overGrace} shutdowns took longer than the budget of ${report.grace} ms`,
    );
  }
  lines.push(
    report.passed
      ? 'PASS: no request failed across the shutdowns, and every instance exited 0.'
      : 'FAIL: see above. docs/verify.md "When it fails" says what to change for each cause.',
  );
  return lines.join('\n');
}
