// Runs the CLI (src/cli.ts under tsx) as a real child process, as a CI job runs it; bounded.
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { VerifyReport } from '../src/index';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');
const CLI = path.join(__dirname, '..', 'src', 'cli.ts');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The JSON report, when `--json` was given and the run measured something. */
  readonly report: VerifyReport | undefined;
}

/** Starts the CLI; `onStderr` sees its progress as it comes. Killed (SIGKILL, by pid) after `timeout` ms. */
export function startCli(
  args: readonly string[],
  timeout: number,
  onStderr?: (text: string, child: ChildProcess) => void,
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.once('close', (code) => {
      clearTimeout(timer);
      let report: VerifyReport | undefined;
      try {
        const parsed = JSON.parse(stdout) as VerifyReport;
        report = Array.isArray(parsed.runs) ? parsed : undefined;
      } catch {
        report = undefined;
      }
      resolve({ code, stdout, stderr, report });
    });
  });
}

/** One line for the test log: the totals and each run's failures and exit. */
export function figures(name: string, run: CliRun): string {
  const report = run.report;
  if (report === undefined) return `${name}: exit ${run.code}, no report\n${run.stderr}`;
  const runs = report.runs
    .map(
      (r) =>
        `${r.failed} failed${r.signalToExit === undefined ? '' : ` exit ${String(r.exitCode)} after ${r.signalToExit} ms`}`,
    )
    .join('; ');
  return `${name}: exit ${run.code} ${JSON.stringify(report.total)} | ${runs}\n${run.stderr}`;
}
