// `pnpm conformance`: the conformance suite (conformance/*.test.mjs, node:test files) on Node 20
// (this process's node), Node 22 and 24 (npx node@22 / node@24), Deno 2 and Bun 1 (pinned dev
// dependencies), each with its own test runner, one runtime after the other (the checks are
// timing-sensitive). Prints one table: a row per check, a column per runtime. Exits non-zero
// when a check fails or is missing on a runtime; a documented gap (the check names the runtime's
// issue) is not a failure.
//   node scripts/conformance.mjs [--only node20,bun] [file.test.mjs ...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const suite = path.join(root, 'conformance');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
/** One runtime's whole run may take this long, in milliseconds, before it is stopped and failed. */
const RUNTIME_TIMEOUT = 240_000;

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args.splice(onlyAt, 2)[1].split(',') : undefined;
const files =
  args.length > 0
    ? args
    : readdirSync(suite)
        .filter((file) => file.endsWith('.test.mjs'))
        .sort();

const npxNode = (major) => ({ command: 'npx', prefix: ['-y', `node@${major}`] });
const RUNTIMES = [
  { id: 'node20', label: 'Node 20', command: process.execPath, prefix: [], runner: ['--test', '--test-concurrency=1'] },
  { id: 'node22', label: 'Node 22', ...npxNode(22), runner: ['--test', '--test-concurrency=1'] },
  { id: 'node24', label: 'Node 24', ...npxNode(24), runner: ['--test', '--test-concurrency=1'] },
  // --no-check: plain JavaScript, nothing to type-check; --no-lock: no deno.lock written into the clone.
  { id: 'deno', label: 'Deno 2', command: bin('deno'), prefix: [], runner: ['test', '-A', '--no-check', '--no-lock'] },
  // Paths start with ./ so that bun test takes them for files, not name filters.
  {
    id: 'bun',
    label: 'Bun 1',
    command: bin('bun'),
    prefix: [],
    runner: ['test', '--timeout', '20000'],
    dotSlash: true,
  },
].filter((runtime) => only === undefined || only.includes(runtime.id));

if (process.versions.node.split('.')[0] !== '20') {
  console.warn(`note: "Node 20" is this process's node, which is ${process.version}`);
}

const scratch = mkdtempSync(path.join(tmpdir(), 'lastcall-conformance-'));
// Deno reads the workspace's package.json; a Deno that rewrote it would leave the clone dirty.
const rootManifest = readFileSync(path.join(root, 'package.json'), 'utf8');
const runs = [];
try {
  for (const runtime of RUNTIMES) runs.push(run(runtime));
} finally {
  if (readFileSync(path.join(root, 'package.json'), 'utf8') !== rootManifest) {
    writeFileSync(path.join(root, 'package.json'), rootManifest);
    runs.push({ runtime: { label: 'package.json' }, failed: 'a runtime rewrote the root package.json (restored)' });
  }
  rmSync(scratch, { recursive: true, force: true });
}
process.exitCode = report(runs) ? 0 : 1;

function run(runtime) {
  const results = path.join(scratch, `${runtime.id}.jsonl`);
  const version = spawnSync(runtime.command, [...runtime.prefix, '--version'], { encoding: 'utf8' });
  const versionText = (version.stdout || version.stderr || '').trim().split('\n')[0];
  const started = Date.now();
  const targets = files.map((file) => (runtime.dotSlash ? `./${file}` : file));
  const child = spawnSync(runtime.command, [...runtime.prefix, ...runtime.runner, ...targets], {
    cwd: suite,
    encoding: 'utf8',
    env: { ...process.env, CONFORMANCE_RESULTS: results, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: RUNTIME_TIMEOUT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const entries = existsSync(results)
    ? readFileSync(results, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : [];
  const output = `${child.stdout ?? ''}${child.stderr ?? ''}`;
  const failed =
    child.error !== undefined
      ? `${child.error.message}`
      : child.status !== 0 && !entries.some((entry) => entry.status === 'fail')
        ? `the runner exited with ${child.status ?? child.signal} and no check failed: see its output`
        : undefined;
  console.log(
    `${runtime.label} (${versionText}): ${entries.length} checks in ${seconds} s, runner exit ${child.status}`,
  );
  if (child.status !== 0 || failed) console.log(indent(output.split('\n').slice(-60).join('\n')));
  return { runtime: { ...runtime, version: versionText }, entries, failed, seconds };
}

/** Prints the table and the gaps; true when every runtime ran every check, none failing. */
function report(runs) {
  const checks = [];
  for (const { entries = [] } of runs) {
    for (const entry of entries) {
      const key = `${entry.suite}: ${entry.name}`;
      if (!checks.includes(key)) checks.push(key);
    }
  }
  const columns = runs.filter((r) => r.entries !== undefined);
  const cell = (r, key) => {
    const entry = r.entries.find((e) => `${e.suite}: ${e.name}` === key);
    return entry === undefined ? 'MISSING' : entry.status === 'pass' ? 'pass' : entry.status === 'gap' ? 'gap' : 'FAIL';
  };
  const header = ['check', ...columns.map((r) => r.runtime.label)];
  const rows = checks.map((key) => [key, ...columns.map((r) => cell(r, key))]);
  const totals = [
    'total (pass / gap / fail)',
    ...columns.map((r) => {
      const count = (status) => checks.filter((key) => cell(r, key) === status).length;
      return `${count('pass')} / ${count('gap')} / ${checks.length - count('pass') - count('gap')}`;
    }),
  ];
  const widths = header.map((_, i) => Math.max(...[header, ...rows, totals].map((row) => row[i].length)));
  const line = (row) => `| ${row.map((text, i) => text.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of [...rows, totals]) console.log(line(row));
  console.log(`\nversions: ${columns.map((r) => `${r.runtime.label} = ${r.runtime.version}`).join(', ')}`);
  for (const r of columns) {
    for (const e of r.entries.filter((entry) => entry.status !== 'pass')) {
      console.log(`${r.runtime.label} ${e.status}: ${e.suite}: ${e.name}\n  ${e.message?.split('\n')[0]}`);
      if (e.gap) console.log(`  documented gap: ${e.gap}`);
    }
  }
  let ok = true;
  for (const r of runs) {
    if (r.failed) {
      console.log(`${r.runtime.label}: ${r.failed}`);
      ok = false;
    }
  }
  if (rows.some((row) => row.slice(1).some((text) => text === 'FAIL' || text === 'MISSING'))) ok = false;
  if (checks.length === 0) ok = false;
  console.log(ok ? '\nconformance: ok' : '\nconformance: FAILED');
  return ok;
}

function indent(text) {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
