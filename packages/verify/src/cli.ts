#!/usr/bin/env node
// lastcall-verify [options] -- <command...>: the CLI over verify(). Exit 0 on a pass, 1 on a failed
// request or a bad exit, and the codes of EXIT_CODES when nothing could be measured. On Ctrl-C, a
// signal to the tool or its own failure, every process it started is stopped by its pid first.
import { parseArgs } from 'node:util';
import { EXIT_CODES, isVerifyError, VerifyError } from './errors.js';
import { killAllNow, stopAll } from './processes.js';
import { formatReport, type VerifyMode } from './report.js';
import { type VerifyOptions, verify } from './verify.js';

/** Exit code of a fault of the tool itself (a bug: please report it). */
const INTERNAL_EXIT_CODE = 9;

const HELP = `lastcall-verify [options] -- <command...>

Starts your service, puts keep-alive load on it, shuts it down under that load, and fails
(exit 1) if any request failed or the service did not exit 0.

  --mode <m>             signal, rolling or pm2; repeat or comma-separate (default signal)
  --port <n>             the port the service listens on (default: a free one, given in $PORT)
  --port-env <name>      the variable the port is given in (default PORT)
  --readiness <path>     readiness path, e.g. /readyz: awaited at start, timed against the listener close
  --env <k=v>            extra environment (repeatable)
  --cwd <dir>            the service's working directory (default: the current one)
  --start-timeout <t>    bound of the wait until it listens and is ready (default 30s)
  --get <path>           a GET path of the load (repeatable; default /)
  --post <path>          a POST path of the load, with a body (repeatable)
  --post-share <0..1>    share of requests that are POSTs (default 0.25)
  --body-size <bytes>    bytes of each POST body (default 1024)
  --clients <n>          keep-alive clients (default 8)
  --request-timeout <t>  a request without an answer this long fails (default 5s)
  --slow <path>          a slow path: one GET to it is in flight at each signal and must complete
  --signal <name>        SIGTERM or SIGINT (default SIGTERM)
  --runs <n>             signal: how many times to start and signal it (default 3)
  --instances <n>        rolling: instances behind the balancer (default 2)
  --rounds <n>           rolling: rounds of restarts of every instance (default 2)
  --balancer <b>         rolling: haproxy or nginx (default haproxy)
  --balancer-config <f>  rolling: your config, with {{front}} {{backend0}} {{backend1}}... {{dir}}
  --balancer-bin <path>  rolling: the haproxy or nginx binary (default: found on the PATH or in /usr/sbin)
  --check-interval <t>   rolling: the generated config's health-check interval (default 500ms)
  --fall <n>             rolling: failed checks that take an instance out (default 2)
  --ecosystem <file>     pm2: your ecosystem file (pm2 runs with a PM2_HOME of its own)
  --reloads <n>          pm2: pm2 reloads (default 3)
  --pm2 <path>           pm2: the pm2 binary (default node_modules/.bin/pm2, then the PATH)
  --grace <t>            the budget a shutdown must fit, e.g. 30s (default: none)
  --steady <t>           steady load before the first shutdown (default 1s)
  --json                 print the report as JSON on stdout
  --quiet                no progress lines
  -h, --help             this text

Durations take a unit: 500ms, 30s, 2m. Exit codes: 0 pass; 1 a request failed, an exit code was
not 0 or a shutdown overran --grace; 2 bad options; 3 the service never listened; 4 the port is
in use; 5 readiness never answered 200; 6 the service crashed under load; 7 haproxy, nginx or
pm2 is missing; 9 a fault of the tool; 130 interrupted.`;

/** "30s" -> 30000. */
export function parseDuration(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (!match) {
    throw new VerifyError(
      'usage',
      `--${option} must be a duration with a unit (500ms, 30s, 2m), received ${JSON.stringify(text)}`,
    );
  }
  const unit = match[2] === 'ms' ? 1 : match[2] === 's' ? 1_000 : 60_000;
  return Math.round(Number(match[1]) * unit);
}

function parseNumber(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new VerifyError('usage', `--${option} must be a number, received ${JSON.stringify(text)}`);
  }
  return value;
}

/** The options of `argv` (without node and the script). */
export function parseCli(argv: readonly string[]): (VerifyOptions & { json: boolean; quiet: boolean }) | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new VerifyError('usage', `${(error as Error).message} (lastcall-verify --help lists the options)`);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const modes = (v.mode ?? ['signal']).flatMap((m) => m.split(',')).map((m) => m.trim()) as VerifyMode[];
  const env: Record<string, string> = {};
  for (const pair of v.env ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new VerifyError('usage', `--env must be NAME=value, received ${JSON.stringify(pair)}`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const signal = v.signal ?? 'SIGTERM';
  if (signal !== 'SIGTERM' && signal !== 'SIGINT') {
    throw new VerifyError('usage', `--signal must be SIGTERM or SIGINT, received ${JSON.stringify(signal)}`);
  }
  const balancer = v.balancer ?? 'haproxy';
  if (balancer !== 'haproxy' && balancer !== 'nginx') {
    throw new VerifyError('usage', `--balancer must be haproxy or nginx, received ${JSON.stringify(balancer)}`);
  }
  if (parsed.positionals.length === 0 && !(modes.length === 1 && modes[0] === 'pm2')) {
    throw new VerifyError(
      'usage',
      'no command: give the service command after --, e.g. lastcall-verify -- node server.js',
    );
  }
  const defined = <T extends object>(object: T): T =>
    Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
  return defined({
    command: parsed.positionals,
    modes,
    port: parseNumber('port', v.port),
    portEnv: v['port-env'],
    readiness: v.readiness,
    env,
    cwd: v.cwd,
    startTimeout: parseDuration('start-timeout', v['start-timeout']),
    get: v.get,
    post: v.post,
    postShare: parseNumber('post-share', v['post-share']),
    bodySize: parseNumber('body-size', v['body-size']),
    clients: parseNumber('clients', v.clients),
    requestTimeout: parseDuration('request-timeout', v['request-timeout']),
    slow: v.slow,
    signal: signal as 'SIGTERM' | 'SIGINT',
    runs: parseNumber('runs', v.runs),
    instances: parseNumber('instances', v.instances),
    rounds: parseNumber('rounds', v.rounds),
    balancer: balancer as 'haproxy' | 'nginx',
    balancerConfig: v['balancer-config'],
    balancerBinary: v['balancer-bin'],
    checkInterval: parseDuration('check-interval', v['check-interval']),
    fall: parseNumber('fall', v.fall),
    ecosystem: v.ecosystem,
    reloads: parseNumber('reloads', v.reloads),
    pm2: v.pm2,
    grace: parseDuration('grace', v.grace),
    steady: parseDuration('steady', v.steady),
    json: v.json ?? false,
    quiet: v.quiet ?? false,
  });
}

function parse(argv: readonly string[]) {
  const text = { type: 'string' } as const;
  const many = { type: 'string', multiple: true } as const;
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      mode: many,
      port: text,
      'port-env': text,
      readiness: text,
      env: many,
      cwd: text,
      'start-timeout': text,
      get: many,
      post: many,
      'post-share': text,
      'body-size': text,
      clients: text,
      'request-timeout': text,
      slow: text,
      signal: text,
      runs: text,
      instances: text,
      rounds: text,
      balancer: text,
      'balancer-config': text,
      'balancer-bin': text,
      'check-interval': text,
      fall: text,
      ecosystem: text,
      reloads: text,
      pm2: text,
      grace: text,
      steady: text,
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Runs the CLI; resolves with the exit code (the caller exits with it). */
export async function main(argv: readonly string[]): Promise<number> {
  let options: ReturnType<typeof parseCli>;
  try {
    options = parseCli(argv);
  } catch (error) {
    process.stderr.write(`lastcall-verify: ${(error as Error).message}\n`);
    return isVerifyError(error) ? error.exitCode : INTERNAL_EXIT_CODE;
  }
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const { json, quiet, ...rest } = options;
  const progress = quiet ? undefined : (line: string) => process.stderr.write(`lastcall-verify: ${line}\n`);
  try {
    const report = await verify({ ...rest, ...(progress === undefined ? {} : { onProgress: progress }) });
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    return report.passed ? 0 : 1;
  } catch (error) {
    await stopAll();
    killAllNow();
    if (isVerifyError(error)) {
      process.stderr.write(`lastcall-verify: ${error.message}\n`);
      if (json)
        process.stdout.write(
          `${JSON.stringify({ passed: false, error: { kind: error.kind, message: error.message } })}\n`,
        );
      return error.exitCode;
    }
    process.stderr.write(
      `lastcall-verify: a fault of the tool itself (please report it): ${(error as Error).stack ?? String(error)}\n`,
    );
    return INTERNAL_EXIT_CODE;
  }
}

/** Ctrl-C or a signal to the tool: stop everything it started, then exit 130. */
function onInterrupt(signal: NodeJS.Signals): void {
  process.stderr.write(`lastcall-verify: ${signal}: stopping every process it started\n`);
  const bound = setTimeout(() => {
    killAllNow();
    process.exit(EXIT_CODES.interrupted);
  }, 3_000);
  void stopAll(1_000).finally(() => {
    clearTimeout(bound);
    killAllNow();
    process.exit(EXIT_CODES.interrupted);
  });
}

// Run only as the bin, not when a test imports the module.
if (process.argv[1] !== undefined && /lastcall-verify|cli\.[cm]?[jt]s$/.test(process.argv[1])) {
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  process.once('exit', killAllNow);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Everything it started has stopped; a handle left behind must not keep a CI job waiting.
      setTimeout(() => process.exit(code), 2_000).unref();
    },
    (error: unknown) => {
      killAllNow();
      process.stderr.write(`lastcall-verify: ${String(error)}\n`);
      process.exitCode = INTERNAL_EXIT_CODE;
    },
  );
}
