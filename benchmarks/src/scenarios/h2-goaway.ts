// HTTP/2 GOAWAY with a real client: h2load (Debian's nghttp2-client) keeps 10 streams in flight on
// each of its 4 connections to an h2c server; 700 ms in, terminate(). How many of the streams it
// had sent are refused by the GOAWAY (they crossed it on the wire)? See docs/http2.md, "Streams
// that cross the GOAWAY": a two-step GOAWAY would refuse none, and Node's API cannot send one.
import { spawn, spawnSync } from 'node:child_process';
import * as http2 from 'node:http2';
import { createTerminator } from '@lastcall/core';
import { LASTCALL } from '../adapters/index.js';
import { notMeasured } from '../checks.js';
import { listen, sleep } from '../lib/net.js';
import { type Summary, sum, summarize } from '../lib/stats.js';
import { fmt, range, table } from '../report/format.js';
import { type RowBase, rowBase } from '../report/model.js';
import { defineScenario, planOf } from '../scenario.js';

export interface H2GoawayParams {
  readonly runs: number;
  readonly connections: number;
  /** Streams h2load keeps in flight on each connection (`-m`). */
  readonly streams: number;
}
export interface H2GoawayRun {
  readonly requests: number;
  readonly succeeded: number;
  /** Streams that ended without a response: refused by the GOAWAY, or cut when the connection closed. */
  readonly failed: number;
  readonly skipped?: string;
  readonly error?: string;
}
export interface H2GoawayRow extends RowBase {
  readonly requests: number;
  readonly succeeded: number;
  readonly failed: Summary;
  readonly skipped: string | undefined;
}

const SHUTDOWN_AT_MS = 700;

export const h2Goaway = defineScenario<H2GoawayParams, H2GoawayRun, H2GoawayRow>({
  id: 'h2-goaway',
  plans: {
    quick: { own: { runs: 3, connections: 4, streams: 10 } },
    full: { own: { runs: 5, connections: 4, streams: 10 } },
  },
  adapters: () => [LASTCALL],
  timeLimitMs: (p) => 20_000 + p.runs * 10_000,

  async run(_adapter, params, sink) {
    if (spawnSync('h2load', ['--version']).status !== 0) {
      sink.push({
        requests: 0,
        succeeded: 0,
        failed: 0,
        skipped: 'h2load is not installed (apt-get install -y nghttp2-client)',
      });
      return;
    }
    for (let run = 0; run < params.runs; run++) sink.push(await once(params));
  },

  rows: (results) =>
    results.map((result) => {
      const runs = result.data.filter((r) => r.skipped === undefined);
      return {
        ...rowBase(result),
        error: rowBase(result).error ?? runs.find((r) => r.error !== undefined)?.error,
        runs: runs.length,
        requests: sum(runs.map((r) => r.requests)),
        succeeded: sum(runs.map((r) => r.succeeded)),
        failed: summarize(runs.map((r) => r.failed)),
        skipped: result.data.find((r) => r.skipped !== undefined)?.skipped,
      };
    }),

  checks(rows) {
    const row = rows[0];
    const title = 'HTTP/2 GOAWAY with h2load: streams refused that the client sent before the GOAWAY';
    const target = '0 (a two-step GOAWAY; reported, not gated: Node cannot send one, see docs/http2.md)';
    if (row === undefined) return [];
    if (row.skipped !== undefined) return [notMeasured('h2-goaway', title, target, row.skipped)];
    const met = row.runs > 0 && row.failed.max === 0;
    return [
      {
        id: 'h2-goaway',
        title,
        target,
        measured: `${fmt(row.failed.median)} per run (median; range ${range(row.failed)}) of ${row.requests} requests in ${row.runs} runs`,
        met,
        gated: false,
        missBy: met ? undefined : `${fmt(row.failed.median)} refused per run`,
        timingOnly: false,
      },
    ];
  },

  section(rows, { run }) {
    const p = planOf<H2GoawayParams>(run, 'h2-goaway');
    if (rows.length === 0 || p === undefined) return undefined;
    return `## HTTP/2 GOAWAY with h2load

[h2load](https://nghttp2.org/documentation/h2load-howto.html) (Debian's \`nghttp2-client\`) against an h2c server (\`node:http2\`, each stream answered at once): ${p.connections} connections, ${p.streams} streams in flight on each (\`-m ${p.streams}\`), for 2 s; ${SHUTDOWN_AT_MS} ms in, \`terminate()\` (lastcall's \`KeepAliveDrain\`: one GOAWAY per session, \`Http2Session#close()\`). The streams h2load had on the wire when the GOAWAY left carry ids above its last stream id and are refused; after the GOAWAY h2load opens nothing more on the session, and its new connections are refused (the listener is closed), which h2load counts as connection errors, not requests. ${p.runs} runs. A two-step GOAWAY (RFC 9113 6.8) would refuse none of them; why lastcall cannot send one on Node: [http2.md](http2.md#streams-that-cross-the-goaway).

${table(
  ['server', 'runs', 'requests', 'succeeded', 'failed per run: median', 'range'],
  rows.map((row) => [
    row.label + (row.error ? ` (error: ${row.error})` : '') + (row.skipped ? ` (not measured: ${row.skipped})` : ''),
    String(row.runs),
    String(row.requests),
    String(row.succeeded),
    fmt(row.failed.median),
    range(row.failed),
  ]),
)}`;
  },

  whyMissed: () =>
    'Why: Node sends GOAWAY through nghttp2, which accepts no new stream once it has sent one, whatever its last stream id; the announce-only GOAWAY (nghttp2_submit_shutdown_notice) is not exposed. See docs/http2.md, "Streams that cross the GOAWAY".',
});

async function once(params: H2GoawayParams): Promise<H2GoawayRun> {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  const terminator = createTerminator({ server, gracefulTimeout: 5_000 });
  try {
    const port = await listen(server);
    const h2load = spawn(
      'h2load',
      ['-c', String(params.connections), '-m', String(params.streams), '-D', '2', `http://127.0.0.1:${port}/`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    h2load.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => h2load.once('close', () => resolve()));
    await sleep(SHUTDOWN_AT_MS);
    await terminator.terminate();
    // h2load's own duration (2 s) bounds it; 10 s in any case.
    const bound = setTimeout(() => h2load.kill(), 10_000);
    await exited;
    clearTimeout(bound);
    const match = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(output);
    if (match === null)
      return { requests: 0, succeeded: 0, failed: 0, error: `h2load printed no totals: ${output.slice(-200)}` };
    return { requests: Number(match[1]), succeeded: Number(match[2]), failed: Number(match[3]) };
  } finally {
    if (terminator.state === 'running') terminator.dispose();
    if (server.listening) server.close();
  }
}
