// The demo: a real HTTP server under keep-alive load, terminated in the middle of it.
// Prints the terminator's report and what the clients saw. Exits 1 if any request failed.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTerminator } from '@lastcall/core';

const CLIENTS = 32;
const LOAD_MS = 2_000;
const TERMINATE_AT_MS = 800;

const server = http.createServer((_req, res) => {
  // A little work per request, so some are always in flight when terminate() is called.
  setTimeout(() => res.end('ok\n'), 2 + Math.floor(Math.random() * 20));
});
// Created right after the server, as a service would: every connection is tracked from the start.
const terminator = createTerminator({ server, gracefulTimeout: 5_000 });

const outcome = { ok: 0, refused: 0, failed: 0, closeHeaders: 0 };
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
  const report = await terminator.terminate();
  console.log(`t=${Math.round(performance.now() - started)} ms: terminated (state: ${terminator.state})`);
  await load;

  console.log('\nTerminationReport:');
  console.log(JSON.stringify(report, null, 2));
  console.log('\nWhat the clients saw:');
  console.table({
    'requests ok': outcome.ok,
    'answered with Connection: close': outcome.closeHeaders,
    'connections refused (ECONNREFUSED, expected)': outcome.refused,
    'requests failed (resets, hang-ups)': outcome.failed,
  });
  if (outcome.failed > 0) {
    console.error('FAILED requests:', Object.fromEntries(failures));
    process.exitCode = 1;
  } else {
    console.log('0 failed requests: every request the server accepted was answered.');
  }
}

void main();
