// The demo's service, run in a child process by demo.ts: an HTTP server owned by lastcall and
// a shutdown coordinator. It prints READY <port>, then the coordinator's progress lines.
import { writeSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTerminator } from '@lastcall/core';
import { createCoordinator } from '../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Every request takes 20 to 120 ms, so there is always something in flight when SIGTERM comes.
// `served` counts the responses sent in full, for demo.ts to compare with what its clients got.
let served = 0;
const server = http.createServer((_req, res) => {
  res.on('finish', () => served++);
  setTimeout(() => res.end('ok'), 20 + Math.floor(Math.random() * 100));
});

let ready = true;
// demo.ts opens this descriptor to receive the report; run alone, the server writes nothing there.
const reportFd = Number(process.env.DEMO_REPORT_FD ?? Number.NaN);

const shutdown = createCoordinator({
  deadline: 15_000,
  // Synchronous and last before exit: the one place the whole report and the final count exist.
  finally: (report) => {
    if (Number.isInteger(reportFd)) writeSync(reportFd, `${JSON.stringify({ served, report })}\n`);
  },
  beforeShutdown: {
    name: 'readiness',
    run: () => {
      // A real service would answer 503 on its readiness probe from here on.
      ready = false;
    },
  },
});
shutdown.add(createTerminator({ server, gracefulTimeout: 5_000 }), { name: 'api' });
shutdown.task('db-pool', () => sleep(30));
shutdown.task('flush-metrics', () => sleep(10), { order: 1 });

server.listen(0, '127.0.0.1', () => {
  console.log(`READY ${(server.address() as AddressInfo).port} ready=${ready}`);
});
