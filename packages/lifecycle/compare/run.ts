// Runs every comparison scenario against lastcall and four peers, each in its own child process
// with real signals, and prints (and writes to compare/results.md) what happened.
// `pnpm --filter @lastcall/lifecycle run compare [library ...]`
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { Scenario } from './common.js';

const here = path.dirname(path.resolve(process.argv[1] ?? 'compare/run.ts'));
const root = path.resolve(here, '../../..');
const LIBRARIES = ['lastcall', 'terminus', 'http-graceful-shutdown', 'lightship', 'close-with-grace'];
const SCENARIOS: Scenario[] = [
  'clean',
  'timeout',
  'second-signal',
  'hook-throws',
  'hook-hangs',
  'two-servers',
  'done-sync',
];
/** A child still alive this long after the first signal is recorded as hung and killed. */
const HUNG_MS = 8_000;

interface Result {
  library: string;
  scenario: Scenario;
  exit: string;
  afterMs: number | undefined;
  requests: string[];
  markers: string[];
  notes: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function request(port: number, pathname: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `status ${res.statusCode}`));
      res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    req.setTimeout(HUNG_MS + 2_000, () => req.destroy(new Error('client timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Requests each scenario keeps in flight when SIGTERM comes: [server index, path]. */
function requestsOf(scenario: Scenario): Array<[number, string]> {
  switch (scenario) {
    case 'clean':
      return [[0, '/?ms=300']];
    case 'timeout':
    case 'second-signal':
      return [[0, '/hang']];
    case 'two-servers':
      return [
        [0, '/?ms=200'],
        [1, '/?ms=1500'],
      ];
    default:
      return [];
  }
}

async function runOne(library: string, scenario: Scenario): Promise<Result> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'services', `${library}.ts`), scenario],
    {
      cwd: root,
      // ROARR_LOG: lightship's logger prints nothing without it.
      env: { ...process.env, ROARR_LOG: 'true', TSX_TSCONFIG_PATH: path.join(root, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const result: Result = { library, scenario, exit: '', afterMs: undefined, requests: [], markers: [], notes: [] };
  const waitFor = async (text: string, ms: number): Promise<boolean> => {
    const until = performance.now() + ms;
    while (!output.includes(text) && performance.now() < until && child.exitCode === null) await sleep(10);
    return output.includes(text);
  };
  try {
    if (!(await waitFor('READY', 15_000))) {
      const na = /N\/A (.*)/.exec(output);
      result.exit = na ? 'n/a' : 'did not start';
      if (na?.[1]) result.notes.push(na[1]);
      else result.notes.push(output.trim().split('\n').slice(-3).join(' / '));
      return result;
    }
    const ports = (/READY ([\d ]+)/.exec(output)?.[1] ?? '').trim().split(' ').map(Number);
    const pending = requestsOf(scenario).map(([index, pathname]) => request(ports[index] ?? 0, pathname));
    for (const [, pathname] of requestsOf(scenario)) await waitFor(`REQUEST ${pathname}`, 5_000);
    const signalledAt = performance.now();
    child.kill('SIGTERM');
    if (scenario === 'second-signal') {
      await sleep(300);
      child.kill('SIGTERM');
      result.notes.push('second SIGTERM sent 300 ms after the first');
    }
    const timer = sleep(HUNG_MS).then(() => 'hung' as const);
    const ended = await Promise.race([exited, timer]);
    if (ended === 'hung') {
      result.exit = `hung (killed after ${HUNG_MS / 1000} s)`;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      await exited;
    } else {
      result.afterMs = Math.round(performance.now() - signalledAt);
      result.exit = ended.signal ? `killed by ${ended.signal} (${128 + signalNumber(ended.signal)})` : `${ended.code}`;
    }
    result.requests = await Promise.all(pending);
  } finally {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  result.markers = output
    .split('\n')
    .filter((line) => /^(HOOK|NEXT|FINALLY)/.test(line))
    .map((line) => line.trim());
  const errors = output
    .split('\n')
    .map(jsonMessage)
    .filter((line) => /Error|exit|timeout|killed|did not|second|beacon/i.test(line) && /^[^\s{}"]/.test(line))
    .map((line) => line.trim().slice(0, 140));
  result.notes.push(...[...new Set(errors)].slice(0, 3));
  return result;
}

/** Lightship logs through roarr, one JSON object a line: keep its message. */
function jsonMessage(line: string): string {
  if (!line.startsWith('{"')) return line;
  try {
    const parsed = JSON.parse(line) as { message?: unknown };
    return typeof parsed.message === 'string' ? `log: ${parsed.message}` : line;
  } catch {
    return line;
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGTERM: 15, SIGINT: 2, SIGKILL: 9 }[signal as string] ?? 0;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const libraries = only.length > 0 ? LIBRARIES.filter((library) => only.includes(library)) : LIBRARIES;
  const results: Result[] = [];
  for (const scenario of SCENARIOS) {
    for (const library of libraries) {
      const result = await runOne(library, scenario);
      results.push(result);
      console.log(
        `${scenario.padEnd(14)} ${library.padEnd(24)} exit ${result.exit.padEnd(22)} ${result.afterMs ?? '-'} ms  requests [${result.requests.join(', ')}]  ${result.markers.join(', ')}  ${result.notes.join(' | ')}`,
      );
    }
  }
  const lines = [
    `Node ${process.version}; generated by \`pnpm --filter @lastcall/lifecycle run compare\`.`,
    '',
    '| scenario | library | exit | ms after SIGTERM | in-flight requests | hooks | output |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.scenario} | ${r.library} | ${r.exit} | ${r.afterMs ?? '-'} | ${r.requests.join(', ') || '-'} | ${r.markers.join(', ') || '-'} | ${r.notes.join('; ').replaceAll('|', '/') || '-'} |`,
    ),
  ];
  const file = path.join(here, 'results.md');
  writeFileSync(file, `${lines.join('\n')}\n`);
  try {
    // The workspace linter formats markdown tables: write the file as it would, so lint stays clean.
    execFileSync(process.execPath, [
      path.join(root, 'node_modules/@biomejs/biome/bin/biome'),
      'format',
      '--write',
      file,
    ]);
  } catch {
    // Unformatted is still correct.
  }
  console.log(`\nwritten: ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
