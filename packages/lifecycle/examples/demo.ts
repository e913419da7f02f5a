// The lastcall demo: a real HTTP server in a child process, 32 keep-alive clients loading it,
// a real SIGTERM in the middle, then the child's progress lines and, in plain words, what the
// clients saw against what the server counted. `pnpm demo --json` adds the whole ShutdownReport.
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import type { ShutdownReport } from '../src/index.js';

const CLIENTS = 32;
const LOAD_BEFORE_SIGTERM_MS = 1_500;
const BOUND_MS = 30_000;
const SHOW_JSON = process.argv.includes('--json');

// argv[1], not import.meta: the workspace type-check reads examples as CommonJS.
const here = path.dirname(path.resolve(process.argv[1] ?? 'examples/demo.ts'));
const root = path.resolve(here, '../../..');

interface Counts {
  ok: number;
  /** Responses that ended with a complete 200 after SIGTERM was sent. */
  okAfterSignal: number;
  /** Responses that carried `Connection: close`: the server asking the client to leave. */
  closeHeaders: number;
  refused: number;
  failed: number;
  errors: Map<string, number>;
}

/** What demo-server.ts writes on its report descriptor from its `finally`. */
interface ServerSide {
  served: number;
  report: ShutdownReport;
}

function request(port: number, agent: http.Agent, counts: Counts): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      if (res.headers.connection === 'close') counts.closeHeaders++;
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
  });
}

/** One keep-alive client: requests back to back on its connection until it is refused or told to stop. */
async function client(port: number, counts: Counts, state: { signalled: boolean; gone: boolean }): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 1_000_000 && !state.gone; i++) {
      try {
        const status = await request(port, agent, counts);
        if (status === 200) {
          counts.ok++;
          if (state.signalled) counts.okAfterSignal++;
        } else {
          counts.failed++;
          counts.errors.set(`status ${status}`, (counts.errors.get(`status ${status}`) ?? 0) + 1);
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        if (code === 'ECONNREFUSED') {
          // The listener is closed: the server is going away. A real client would try another instance.
          counts.refused++;
          return;
        }
        counts.failed++;
        counts.errors.set(code, (counts.errors.get(code) ?? 0) + 1);
      }
    }
  } finally {
    agent.destroy();
  }
}

async function main(): Promise<void> {
  // TSX_TSCONFIG_PATH: the root tsconfig maps @lastcall/* to the packages' src, so no build is needed.
  // Descriptor 3 is a pipe for the server's report, so its console shows only what a service would print.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'demo-server.ts')], {
    cwd: root,
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, 'tsconfig.json'), DEMO_REPORT_FD: '3' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const bound = setTimeout(() => {
    console.error(`demo: no end within ${BOUND_MS} ms, killing the child`);
    child.kill('SIGKILL');
    process.exit(2);
  }, BOUND_MS);
  const lines: string[] = [];
  let port = 0;
  const started = new Promise<void>((resolve, reject) => {
    const onLine = (chunk: string): void => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lines.push(line);
        const match = /^READY (\d+)/.exec(line);
        if (match) {
          port = Number(match[1]);
          resolve();
        }
      }
    };
    child.stdout?.setEncoding('utf8').on('data', onLine);
    child.stderr?.setEncoding('utf8').on('data', onLine);
    child.once('exit', (code) => reject(new Error(`the server exited early with code ${code}:\n${lines.join('\n')}`)));
  });
  let reportText = '';
  const reportPipe = child.stdio[3] as NodeJS.ReadableStream;
  reportPipe.setEncoding('utf8');
  reportPipe.on('data', (chunk: string) => {
    reportText += chunk;
  });
  // 'close' (not 'exit'): every pipe, the report's included, has been read to its end.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  await started;
  console.log(`demo: server pid ${child.pid} on 127.0.0.1:${port}; ${CLIENTS} keep-alive clients loading it`);

  const counts: Counts = { ok: 0, okAfterSignal: 0, closeHeaders: 0, refused: 0, failed: 0, errors: new Map() };
  const state = { signalled: false, gone: false };
  void exited.then(() => {
    state.gone = true;
  });
  const load = Promise.all(Array.from({ length: CLIENTS }, () => client(port, counts, state)));

  await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_SIGTERM_MS));
  console.log(`demo: ${counts.ok} requests answered so far; sending SIGTERM to pid ${child.pid}\n`);
  const signalledAt = performance.now();
  state.signalled = true;
  child.kill('SIGTERM');
  const code = await exited;
  const exitMs = performance.now() - signalledAt;
  await load;
  clearTimeout(bound);

  console.log('--- the server process printed ---');
  for (const line of lines) console.log(`  | ${line}`);
  console.log('---');
  const server = parseServerSide(reportText);
  if (SHOW_JSON && server) console.log(`the server's ShutdownReport:\n${JSON.stringify(server.report, null, 2)}\n---`);
  console.log(`demo: the server exited with code ${code}, ${Math.round(exitMs)} ms after SIGTERM\n`);
  for (const line of explain(counts, server)) console.log(line);
  if (!SHOW_JSON) console.log('\nThe whole shutdown report: pnpm demo --json');
  process.exitCode = counts.failed === 0 && code === 0 ? 0 : 1;
}

function parseServerSide(text: string): ServerSide | undefined {
  try {
    return JSON.parse(text) as ServerSide;
  } catch {
    return undefined;
  }
}

/** The last lines: what the user just saw, in plain words, with the two sides' counts set side by side. */
function explain(counts: Counts, server: ServerSide | undefined): string[] {
  const out = [`What you just saw:`];
  out.push(
    `- ${counts.ok} requests answered, ${counts.okAfterSignal} of them after SIGTERM: the server finished the requests in flight and those that arrived on connections still open, and told each client to leave (${counts.closeHeaders} responses carried "Connection: close").`,
  );
  out.push(
    `- ${counts.refused} connection attempts refused (ECONNREFUSED): a client told to leave opened a new connection and found the listener closed. That is the listener doing its job; a real client or load balancer retries another instance, and nothing it had sent was lost.`,
  );
  out.push(
    counts.failed === 0
      ? '- 0 requests failed. A failed request (a reset or a hang-up in the middle of a response) is what graceful shutdown prevents: this demo exits 1 if there is any.'
      : `- ${counts.failed} requests FAILED (${JSON.stringify(Object.fromEntries(counts.errors))}). A failed request is what graceful shutdown prevents: this is a bug, and the demo exits 1.`,
  );
  if (!server) {
    out.push('- The server wrote no report (it did not reach its `finally`), so its counts cannot be compared.');
    return out;
  }
  const termination = server.report.phases
    .flatMap((phase) => phase.steps)
    .find((step) => step.termination)?.termination;
  out.push(
    server.served === counts.ok
      ? `- The counts agree: the clients got ${counts.ok} complete responses and the server sent ${server.served}.`
      : `- The counts differ: the server sent ${server.served} responses in full, the clients counted ${counts.ok} ok; the ${server.served - counts.ok} others are among the failures above.`,
  );
  if (termination) {
    const { inFlightAtStart, receivedDuringDrain, completed } = termination.requests;
    const before = counts.okAfterSignal - completed;
    out.push(
      `- The server's report counts ${completed} requests completed in its drain (${inFlightAtStart} in flight when it began, ${receivedDuringDrain} received during it)${
        before > 0
          ? `; the other ${before} answered after SIGTERM was sent had been sent before the drain began and were read by the clients after (the signal takes a moment to arrive, and the beforeShutdown hook runs first).`
          : before === 0
            ? ', the same as the clients counted after SIGTERM.'
            : `, ${-before} more than the clients counted after SIGTERM: some of those responses reached the clients as failures (above).`
      }`,
    );
  }
  return out;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
