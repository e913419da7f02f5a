// `pnpm bench`: runs every scenario x library, each in its own child process, then writes
// docs/benchmarks.md with its charts (quick by default, --full for more runs). `--only=...` adds
// its scenarios to the saved results.json of the same mode instead. `--smoke` measures lastcall's
// own rows only and exits non-zero when one misses its target; it writes no docs.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DELAY_PEERS, LASTCALL, PEERS } from './adapters/index.js';
import type { Adapter } from './adapters/types.js';
import { formatChecks } from './checks.js';
import { now } from './lib/net.js';
import { installedVersion, machineInfo, openFilesLimit, raiseOpenFiles } from './machine.js';
import type { Mode } from './mode.js';
import { plansFor } from './plan.js';
import { measuredNow, mergeRuns } from './report/merge.js';
import type { BenchRun } from './report/model.js';
import { resultsFile, writeReport } from './report/page.js';
import type { ChildResult, ChildSpec } from './results.js';
import type { Scenario } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';
import { checkTargets } from './targets.js';

const distDir = path.dirname(process.argv[1] ?? '.');
const benchRoot = path.resolve(distDir, '..');
const repoRoot = path.resolve(benchRoot, '..');

interface Cli {
  readonly mode: Mode;
  readonly only: readonly string[];
  /** `--only` was given: the run measures some scenarios, to be merged into the saved run. */
  readonly partial: boolean;
  /** `--fresh`: write the page from this run alone, even a partial one (no merge). */
  readonly fresh: boolean;
  /** Restrict the libraries (development): adapter ids, lastcall's always included. */
  readonly libs: readonly string[] | undefined;
  /** Rewrite the page from a saved results.json instead of measuring (the page's own data). */
  readonly render: string | undefined;
}

function parseCli(argv: readonly string[]): Cli {
  let mode: Mode = 'quick';
  let only: readonly string[] = SCENARIOS.map((scenario) => scenario.id);
  let libs: readonly string[] | undefined;
  let render: string | undefined;
  let partial = false;
  let fresh = false;
  for (const arg of argv) {
    if (arg.startsWith('--render=')) {
      render = arg.slice(9);
      continue;
    }
    if (arg === '--full') mode = 'full';
    else if (arg === '--smoke') mode = 'smoke';
    else if (arg === '--quick') mode = 'quick';
    else if (arg.startsWith('--only=')) {
      only = arg.slice(7).split(',');
      partial = true;
    } else if (arg === '--fresh') fresh = true;
    else if (arg.startsWith('--libs=')) libs = arg.slice(7).split(',');
    else if (arg === '--') continue;
    else
      throw new RangeError(
        `unknown argument "${arg}"; use --full, --smoke, --only=a,b, --fresh, --libs=x,y or --render=results.json`,
      );
  }
  for (const id of only) {
    if (!SCENARIOS.some((scenario) => scenario.id === id))
      throw new RangeError(`--only: unknown scenario "${id}"; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  }
  return { mode, only, libs, render, partial, fresh };
}

/** Which libraries a scenario measures in this mode (`--libs` narrows the peers). */
function adaptersFor(scenario: Scenario, cli: Cli): readonly Adapter[] {
  const wanted = (adapter: Adapter): boolean => cli.libs === undefined || cli.libs.includes(adapter.id);
  // A scenario may add rows of its own (DELAY_PEERS): --libs narrows those too.
  return scenario.adapters(cli.mode, PEERS.filter(wanted)).filter((adapter) => adapter.lastcall || wanted(adapter));
}

/** Runs one child to completion or to its time limit; a killed or failed child still reports. */
function runChild(scenario: Scenario, spec: ChildSpec): Promise<ChildResult> {
  const limit = scenario.timeLimitMs(spec.params);
  const started = now();
  return new Promise((resolve) => {
    const args = [...scenario.execArgv, path.join(distDir, 'child.js'), JSON.stringify(spec)];
    // A child holding tens of thousands of sockets starts under a raised limit; its helper
    // processes (forked by it) inherit that limit. `exec` keeps the child's pid, so the kill below
    // reaches node itself.
    const [command, argv] =
      scenario.openFiles === undefined
        ? [process.execPath, args]
        : ['sh', ['-c', `${raiseOpenFiles(scenario.openFiles)} && exec "$0" "$@"`, process.execPath, ...args]];
    const child = spawn(
      command,
      argv,
      // Peers may log; their output is not the report's. stderr is kept for the error message.
      { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
    );
    let result: ChildResult | undefined;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2_000);
    });
    child.on('message', (message: ChildResult) => {
      result = message;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), limit);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      const wallMs = now() - started;
      if (result !== undefined) resolve({ ...result, wallMs });
      else {
        const why = signal === 'SIGKILL' ? `killed at its ${limit} ms limit` : `exited with ${code ?? signal}`;
        resolve({
          scenario: spec.scenario,
          adapter: spec.adapter,
          data: [],
          error: `child ${why}${stderr ? `: ${stderr.trim()}` : ''}`,
          wallMs,
        });
      }
    });
  });
}

/** Measures each scenario x library in its own child, in order, printing a line per child. */
async function measure(ids: readonly string[], cli: Cli): Promise<ChildResult[]> {
  const results: ChildResult[] = [];
  for (const scenario of SCENARIOS.filter((s) => ids.includes(s.id) && s.plan(cli.mode) !== undefined)) {
    for (const adapter of adaptersFor(scenario, cli)) {
      const spec: ChildSpec = {
        scenario: scenario.id,
        adapter: adapter.id,
        params: scenario.paramsFor(cli.mode, adapter.lastcall),
      };
      const result = await runChild(scenario, spec);
      results.push(result);
      const status = result.error ? `ERROR ${result.error.split('\n')[0]}` : `${result.data.length} runs`;
      console.log(
        `  ${scenario.id.padEnd(9)} ${adapter.id.padEnd(24)} ${(result.wallMs / 1000).toFixed(1).padStart(5)} s  ${status}`,
      );
    }
  }
  return results;
}

async function main(): Promise<number> {
  const cli = parseCli(process.argv.slice(2));
  if (cli.render !== undefined) {
    const saved = JSON.parse(readFileSync(path.resolve(cli.render), 'utf8')) as BenchRun;
    const written = await writeReport(saved, checkTargets(saved), path.join(repoRoot, 'docs'));
    console.log(`rewrote ${written.map((file) => path.relative(repoRoot, file)).join(', ')} from ${cli.render}`);
    return 0;
  }
  // A partial run is merged into the saved run of its mode: read (and refused) before measuring.
  const savedFile = resultsFile(path.join(repoRoot, 'docs'));
  let saved: BenchRun | undefined;
  if (cli.mode !== 'smoke' && cli.partial && !cli.fresh && existsSync(savedFile)) {
    saved = JSON.parse(readFileSync(savedFile, 'utf8')) as BenchRun;
    if (saved.mode !== cli.mode)
      throw new RangeError(
        `--only merges into ${path.relative(repoRoot, savedFile)}, a ${saved.mode} run: measure in --${saved.mode} mode, or pass --fresh to write the page from this ${cli.mode} run alone`,
      );
  }
  const measuredIds = cli.only.filter((id) => SCENARIOS.some((s) => s.id === id && s.plan(cli.mode) !== undefined));
  const plans = plansFor(cli.mode, SCENARIOS);
  const startedAt = new Date();
  const started = now();
  const limit = openFilesLimit();
  const wanted = Math.max(0, ...SCENARIOS.map((scenario) => scenario.openFiles ?? 0));
  const raised = wanted > 0 ? openFilesLimit(raiseOpenFiles(wanted)) : undefined;
  console.log(
    `lastcall benchmarks, ${cli.mode} mode, Node ${process.version}, open files limit ${limit}${raised ? ` (${raised} for the idle-close children)` : ''}`,
  );
  let results = await measure(cli.only, cli);
  const pkgs = new Set([LASTCALL, ...PEERS, ...DELAY_PEERS].flatMap((adapter) => (adapter.pkg ? [adapter.pkg] : [])));
  const runOf = (measured: ChildResult[]): BenchRun => ({
    mode: cli.mode,
    startedAt: startedAt.toISOString(),
    durationS: (now() - started) / 1000,
    machine: machineInfo(limit, raised),
    versions: Object.fromEntries([...pkgs].map((pkg) => [pkg, installedVersion(benchRoot, pkg)])),
    plan: plans.own,
    peerPlan: plans.peers,
    results: measured,
  });
  let run = runOf(results);
  run = { ...run, measured: measuredNow(run, measuredIds) };
  let checks = checkTargets(run);
  console.log(`\n${formatChecks(checks)}`);

  if (cli.mode === 'smoke') {
    // A time bound missed by a few short runs on a shared machine is measured once more, and the
    // second measurement decides; a miss of correctness is never measured again.
    const retry = checks
      .filter((check) => check.gated && !check.met && check.timingOnly)
      .map((check) => check.scenario);
    const again = cli.only.filter((id) => retry.includes(id));
    if (again.length > 0) {
      console.log(`\nsmoke: time bound(s) missed by ${again.join(', ')}; measuring them once more`);
      const second = await measure(again, cli);
      results = [...results.filter((result) => !again.includes(result.scenario)), ...second];
      run = runOf(results);
      checks = checkTargets(run);
      console.log(`\n${formatChecks(checks.filter((check) => again.includes(check.scenario)))}`);
    }
    const failed = checks.filter((check) => check.gated && !check.met);
    const tmp = path.join(benchRoot, '.bench-tmp');
    mkdirSync(tmp, { recursive: true });
    writeFileSync(path.join(tmp, 'smoke.json'), `${JSON.stringify(run, null, 2)}\n`);
    console.log(
      failed.length === 0
        ? `\nsmoke: every gated target met${again.length > 0 ? ` (${again.join(', ')} on the second measurement)` : ''} (${run.durationS.toFixed(0)} s)`
        : `\nsmoke: ${failed.length} target(s) missed: ${failed.map((check) => check.id).join(', ')}`,
    );
    return failed.length === 0 ? 0 : 1;
  }
  const page = saved === undefined ? run : mergeRuns(saved, run, measuredIds);
  const written = await writeReport(page, checkTargets(page), path.join(repoRoot, 'docs'));
  const merged = saved === undefined ? '' : ` (${measuredIds.join(', ')} merged into the saved ${saved.mode} run)`;
  console.log(
    `\nwrote ${written.map((file) => path.relative(repoRoot, file)).join(', ')} in ${run.durationS.toFixed(0)} s${merged}`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
