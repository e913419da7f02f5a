// The demo: a real HTTP server under keep-alive load, terminated in the middle of it. Says what
// the clients saw against the terminator's report (`--json`: the whole report). Exits 1 if any request failed.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTerminator } from '@lastcall/core';

const CLIENTS = 32;
const LOAD_MS = 2_000;
const TERMINATE_AT_MS = 800;
const SHOW_JSON = process.argv.includes('--json');

const server = http.createServer((_req, res) => {
  // A little work per request, so some are always in flight when terminate() is called.
  setTimeout(() => res.end('ok\n'), 2 + Math.floor(Math.random() * 20));
});
// Created right after the server, as a service would: every connection is tracked from the start.
const terminator = createTerminator({ server, gracefulTimeout: 5_000 });

const outcome = { ok: 0, okAfterTerminate: 0, refused: 0, failed: 0, closeHeaders: 0 };
let terminating = false;
const failures = new Map<string, number>();

function request(port: number, agent: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, agent }, (res) => {
        if (res.headers.connection === 'close') outcome.closeHeaders++;
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** One keep-alive client: requests back to back until the load ends or the server refuses it. */
async function client(port: number, stopAt: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 100_000 && performance.now() < stopAt; i++) {
      try {
        await request(port, agent);
        outcome.ok++;
        if (terminating) outcome.okAfterTerminate++;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        if (code === 'ECONNREFUSED') {
          outcome.refused++;
          return;
        }
        outcome.failed++;
        failures.set(code, (failures.get(code) ?? 0) + 1);
      }
    }
  } finally {
    agent.destroy();
  }
}

async function main(): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  console.log(`lastcall demo: http://127.0.0.1:${port}, ${CLIENTS} keep-alive clients for ${LOAD_MS} ms`);
  const started = performance.now();
  const load = Promise.all(Array.from({ length: CLIENTS }, () => client(port, started + LOAD_MS)));

  await new Promise((resolve) => setTimeout(resolve, TERMINATE_AT_MS));
  console.log(`t=${Math.round(performance.now() - started)} ms: terminate() with ${outcome.ok} requests served so far`);
  terminating = true;
  const report = await terminator.terminate();
  console.log(`t=${Math.round(performance.now() - started)} ms: terminated (state: ${terminator.state})`);
  await load;

  if (SHOW_JSON) console.log(`\nTerminationReport:\n${JSON.stringify(report, null, 2)}`);
  const { inFlightAtStart, receivedDuringDrain, completed } = report.requests;
  console.log('\nWhat you just saw:');
  console.log(
    `- ${outcome.ok} requests answered, ${outcome.okAfterTerminate} of them after terminate(): the requests in flight and those that arrived on connections still open were finished, each with "Connection: close" (${outcome.closeHeaders} such responses).`,
  );
  console.log(
    `- ${outcome.refused} connection attempts refused (ECONNREFUSED): a client told to leave opened a new connection and found the listener closed. That is the listener doing its job; a real client retries another instance.`,
  );
  console.log(
    outcome.failed === 0
      ? '- 0 requests failed. A failed request (a reset, a hang-up mid-response) is what graceful shutdown prevents: this demo exits 1 if there is any.'
      : `- ${outcome.failed} requests FAILED (${JSON.stringify(Object.fromEntries(failures))}): what graceful shutdown should prevent, so the demo exits 1.`,
  );
  console.log(
    completed === outcome.okAfterTerminate
      ? `- The counts agree: the report says ${completed} requests completed during the drain (${inFlightAtStart} in flight at its start, ${receivedDuringDrain} received during it), the clients got ${outcome.okAfterTerminate} after terminate().`
      : `- The report says ${completed} requests completed during the drain (${inFlightAtStart} in flight at its start, ${receivedDuringDrain} received during it), the clients counted ${outcome.okAfterTerminate} after terminate(): ${
          completed > outcome.okAfterTerminate
            ? 'the difference reached the clients as failures (above).'
            : `the other ${outcome.okAfterTerminate - completed} had been sent before terminate() was called and were read by the clients after it.`
        }`,
  );
  if (!SHOW_JSON) console.log('\nThe whole report: add --json');
  if (outcome.failed > 0) process.exitCode = 1;
}

void main();
