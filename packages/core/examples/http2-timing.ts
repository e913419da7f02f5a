// Measures HTTP/2 shutdown on this Node version: lastcall's terminate() against Node's own
// server.close(), h2c and TLS. Run from the repository root: `npx tsx packages/core/examples/http2-timing.ts [runs]`.
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { createTerminator } from '@lastcall/core';
// The tests' self-signed certificate for 127.0.0.1, from the private test kit.
import { tlsMaterial } from '@lastcall/test-kit';

type Kind = 'h2c' | 'tls';
type Closer = 'lastcall' | 'node';

/** How long Node's own close() gets before this script calls it "never". */
const BOUND_MS = 3_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  /**
   * With a stream: from the server ending it to the shutdown finishing. Idle: from the
   * shutdown's start. Undefined: not finished within the bound.
   */
  ms: number | undefined;
  goaway: boolean;
  fullBody: boolean;
}

/**
 * `stream`: one stream in flight; the shutdown starts and the stream ends 50 ms later.
 * `idle`: one idle session. `late` (TLS): the TCP connection is open when the shutdown starts,
 * its TLS handshake and session come right after.
 */
type Scenario = 'stream' | 'idle' | 'late';

function connect(kind: Kind, port: number, socket?: net.Socket): http2.ClientHttp2Session {
  return http2.connect(`${kind === 'h2c' ? 'http' : 'https'}://127.0.0.1:${port}`, {
    rejectUnauthorized: false,
    ...(socket && {
      createConnection: () => tls.connect({ socket, ALPNProtocols: ['h2'], rejectUnauthorized: false }),
    }),
  });
}

async function once(kind: Kind, closer: Closer, scenario: Scenario): Promise<Run> {
  const server = kind === 'h2c' ? http2.createServer() : http2.createSecureServer(tlsMaterial);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  let held: http2.ServerHttp2Stream | undefined;
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    stream.write('first-');
    held = stream;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const terminator = closer === 'lastcall' ? createTerminator({ server, gracefulTimeout: BOUND_MS }) : undefined;
  const { port } = server.address() as AddressInfo;
  let goaway = false;
  const watch = (session: http2.ClientHttp2Session): http2.ClientHttp2Session => {
    session.on('error', () => undefined);
    session.on('goaway', () => {
      goaway = true;
    });
    return session;
  };
  let client: http2.ClientHttp2Session | undefined;
  let raw: net.Socket | undefined;
  if (scenario === 'late') {
    raw = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => raw?.once('connect', () => resolve()));
  } else {
    client = watch(connect(kind, port));
    await new Promise<void>((resolve) => client?.once('connect', () => resolve()));
    // A PING round trip: the server's side of the session exists before the shutdown starts
    // (over TLS the client may see its handshake done before the server does).
    await new Promise<void>((resolve) => client?.ping(() => resolve()));
  }
  let body = '';
  if (scenario === 'stream' && client !== undefined) {
    const request = client.request({ ':path': '/' });
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('error', () => undefined);
    for (let i = 0; i < 100 && held === undefined; i++) await sleep(5);
  }

  let finishedAt: number | undefined;
  const startedAt = performance.now();
  const finished =
    terminator !== undefined
      ? terminator.terminate().then(() => {
          finishedAt = performance.now();
        })
      : new Promise<void>((resolve) =>
          server.close(() => {
            finishedAt = performance.now();
            resolve();
          }),
        );
  if (scenario === 'late') client = watch(connect(kind, port, raw));
  await sleep(50);
  const endedAt = performance.now();
  held?.end('last');
  await Promise.race([finished, sleep(BOUND_MS)]);
  const run: Run = {
    ms: finishedAt === undefined ? undefined : finishedAt - (scenario === 'stream' ? endedAt : startedAt),
    goaway,
    fullBody: scenario !== 'stream' || body === 'first-last',
  };
  client?.destroy();
  raw?.destroy();
  for (const session of sessions) session.destroy();
  if (finishedAt === undefined) await Promise.race([finished, sleep(1_000)]);
  return run;
}

function summary(runs: Run[]): string {
  const times = runs
    .map((run) => run.ms)
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);
  const never = runs.length - times.length;
  const pick = (q: number): string => (times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(1);
  const timing = times.length > 0 ? `min ${pick(0)} / median ${pick(0.5)} / max ${pick(1)} ms` : 'n/a';
  return (
    `${timing}; not closed within ${BOUND_MS} ms: ${never}/${runs.length}; ` +
    `GOAWAY seen: ${runs.filter((r) => r.goaway).length}/${runs.length}; ` +
    `full body: ${runs.filter((r) => r.fullBody).length}/${runs.length}`
  );
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 10);
  console.log(`Node ${process.version}, ${runs} runs each (the last stream ends 50 ms after the shutdown starts)`);
  const label = { stream: 'stream (after its end)', idle: 'idle (after start)', late: 'late TLS (after start)' };
  for (const kind of ['h2c', 'tls'] as const) {
    for (const closer of ['lastcall', 'node'] as const) {
      for (const scenario of ['stream', 'idle', 'late'] as const) {
        if (scenario === 'late' && kind === 'h2c') continue;
        // Node's close() never finishing would cost BOUND_MS a run: three runs say enough.
        const count = closer === 'node' ? Math.min(runs, 3) : runs;
        const results: Run[] = [];
        for (let i = 0; i < count; i++) results.push(await once(kind, closer, scenario));
        console.log(`${kind.padEnd(3)} ${closer.padEnd(8)} ${label[scenario].padEnd(22)} ${summary(results)}`);
      }
    }
  }
}

void main();
