// The server side of the keep-alive-load benchmark (scripts/runtime-bench.mjs), run by the runtime
// under test: an http server on 127.0.0.1 whose handler answers after 2 ms. It prints
// `PORT <n>`; a line `stop` on stdin stops it, with lastcall's terminate() (argv[2] `lastcall`) or
// with the runtime's own server.close() (`close`), and prints `STOPPED <json>`.
import * as http from 'node:http';
import { createTerminator } from '@lastcall/core';

const stopper = process.argv[2];
const server = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 2));
const terminator = stopper === 'lastcall' ? createTerminator({ server, gracefulTimeout: 5_000 }) : undefined;
server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${server.address().port}\n`));
process.stdin.setEncoding('utf8');
process.stdin.on('data', async (text) => {
  if (!text.includes('stop')) return;
  const started = Date.now();
  const report = terminator
    ? await terminator.terminate()
    : await new Promise((resolve) => server.close(() => resolve(undefined)));
  const summary = {
    stopTime: Date.now() - started,
    runtimeLimits: report?.runtimeLimits,
    forced: report?.connections.forced,
  };
  process.stdout.write(`STOPPED ${JSON.stringify(summary)}\n`);
  process.exit(0);
});
