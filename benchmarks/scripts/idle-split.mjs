// Idle close, split and timed in CPU (build the core first). Issue 15's attribution of the idle-close
// gaps: where lastcall's terminate() spends its time against the raw destroy floor, in CPU time
// (process.cpuUsage, user + system of this process), which another process on a shared machine
// slows down far less than it does wall time.
//
//   node --expose-gc benchmarks/scripts/idle-split.mjs [connections=5000] [pairs=8] [idleMs=20] [sides=floor,grace0,default]
//
// A helper process (this file, forked) holds N keep-alive connections, each after one request; the
// measured process is the server alone. Each round runs every side once, in rotating order, on a
// fresh server. Per side it prints medians of:
// - cpu: CPU from terminate() to resolved; wall: the same in wall time;
// - pre: CPU from terminate() to the server's close() being called (for lastcall: its walks, and
//   with the default drain the two timer turns it defers the close pass by; preWall: their wall);
// - pass: CPU inside the server's close() (Node's closeIdleConnections(): the same for every side);
// - post: CPU from close() returning to resolved (lastcall: settling the records, the report);
// - tail: CPU from resolved to the end of the loop turn where the sockets' handles close (work
//   every side pays after it resolved: Node's own per-socket close listeners).
// The instance's close() is wrapped here only to timestamp it (a measurement, not lastcall code).
// Every loop is bounded; everything is on 127.0.0.1.
//
// Instruction counts (repeatable on a loaded machine; one side per process, N small):
//   MARKS=1 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg/out.%p --zero-before=uv_loadavg \
//     --dump-before=uv_os_getpriority node --single-threaded --expose-gc benchmarks/scripts/idle-split.mjs 1000 3 20 grace0
// writes four dumps per round (pre, pass, post, tail, as above); `summary:` in each is its count.
import { fork } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HOST = '127.0.0.1';
const here = fileURLToPath(import.meta.url);

if (process.argv[2] === 'holder') holder();
else await main();

function holder() {
  const REQUEST = `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
  let sockets = [];
  const connectOne = (port) =>
    new Promise((resolve) => {
      const socket = net.connect({ host: HOST, port });
      const timer = setTimeout(() => socket.destroy(), 120_000);
      socket.once('connect', () => socket.write(REQUEST));
      socket.once('data', () => {
        clearTimeout(timer);
        resolve(true);
      });
      socket.on('error', () => undefined);
      socket.once('close', () => resolve(false));
      sockets.push(socket);
    });
  process.on('message', async (m) => {
    if (m.type === 'open') {
      sockets = [];
      let next = 0;
      let ok = 0;
      const worker = async () => {
        while (next < m.count) {
          next++;
          if (await connectOne(m.port)) ok++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(64, m.count) }, worker));
      process.send({ type: 'ready', ok });
    } else if (m.type === 'closeAll') {
      for (const socket of sockets) socket.destroy();
      process.send({ type: 'closed' });
    }
  });
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => process.exit(0), 30 * 60_000).unref();
}

async function main() {
  const N = Number(process.argv[2] ?? 5_000);
  const PAIRS = Math.min(Number(process.argv[3] ?? 8), 100);
  const IDLE_MS = Number(process.argv[4] ?? 20);
  const SIDES = (process.argv[5] ?? 'floor,grace0,default').split(',');
  // CORE=/path/to/dist/esm/index.js measures another build (an A/B against a saved one).
  const core = await import(process.env.CORE ?? path.join(path.dirname(here), '../../packages/core/dist/esm/index.js'));
  const child = fork(here, ['holder']);
  const ask = (message, type) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m.type !== type) return;
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
      child.send(message);
    });
  // MARKS=1 (under callgrind): os.loadavg() opens a measured window and os.getPriority() closes each
  // segment of it, two libuv calls nothing else here makes; see this file's header.
  const marks = process.env.MARKS === '1';
  const open = () => marks && os.loadavg();
  const segment = () => marks && os.getPriority();
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const attach = (side, server) => {
    if (side === 'floor') {
      const sockets = new Set();
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      return () =>
        new Promise((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        });
    }
    const drain = side === 'grace0' ? new core.KeepAliveDrain({ idleGrace: 0 }) : undefined;
    const terminator = core.createTerminator({ server, gracefulTimeout: 5_000, ...(drain ? { drain } : {}) });
    return () => terminator.terminate();
  };
  const results = Object.fromEntries(SIDES.map((side) => [side, []]));

  async function measure(side) {
    const server = http.createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 120_000;
    const terminate = attach(side, server);
    await new Promise((resolve) => server.listen(0, HOST, resolve));
    const { ok } = await ask({ type: 'open', port: server.address().port, count: N }, 'ready');
    if (ok !== N) throw new Error(`${side}: ${ok} of ${N} connections opened`);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    globalThis.gc?.();
    const close = server.close;
    const mark = {};
    server.close = function (...args) {
      if (mark.closeCpu === undefined) {
        segment();
        mark.closeWall = performance.now();
        mark.closeCpu = cpu();
        const result = close.apply(this, args);
        mark.closedCpu = cpu();
        segment();
        return result;
      }
      return close.apply(this, args);
    };
    const wall0 = performance.now();
    const cpu0 = cpu();
    open();
    const promise = terminate();
    const syncCpu = cpu() - cpu0;
    await promise;
    segment();
    const wall1 = performance.now();
    const cpu1 = cpu();
    // The sockets' handles close in the loop's close phase: two check-phase turns are past it.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    segment();
    const cpu2 = cpu();
    server.close = close;
    server.closeAllConnections();
    await ask({ type: 'closeAll' }, 'closed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    return {
      wall: wall1 - wall0,
      cpu: cpu1 - cpu0,
      sync: syncCpu,
      pre: (mark.closeCpu ?? cpu1) - cpu0,
      preWall: (mark.closeWall ?? wall1) - wall0,
      pass: (mark.closedCpu ?? cpu1) - (mark.closeCpu ?? cpu1),
      post: cpu1 - (mark.closedCpu ?? cpu1),
      tail: cpu2 - cpu1,
    };
  }

  for (let pair = 0; pair < PAIRS; pair++) {
    // Rotating order: no side always runs first (on the coldest process) or last.
    const order = SIDES.map((_, i) => SIDES[(i + pair) % SIDES.length]);
    for (const side of order) results[side].push(await measure(side));
  }
  child.disconnect();

  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
  const fields = ['cpu', 'wall', 'sync', 'pre', 'preWall', 'pass', 'post', 'tail'];
  console.log(
    `idle split: ${N} connections, ${PAIRS} rounds, idle ${IDLE_MS} ms, Node ${process.version}; ms, medians`,
  );
  console.log(['side', ...fields, 'cpu/floor', 'min cpu'].join('\t'));
  const floorCpu = results.floor ? median(results.floor.map((r) => r.cpu)) : Number.NaN;
  for (const side of SIDES) {
    const rows = results[side];
    const cells = fields.map((f) => median(rows.map((r) => r[f])).toFixed(2));
    const ratio = (median(rows.map((r) => r.cpu)) / floorCpu).toFixed(3);
    console.log([side, ...cells, ratio, Math.min(...rows.map((r) => r.cpu)).toFixed(2)].join('\t'));
  }
  // Per-round ratios of CPU, as the benchmark takes per-pair ratios of wall time.
  if (results.floor) {
    for (const side of SIDES.filter((s) => s !== 'floor')) {
      const ratios = results[side].map((r, i) => r.cpu / results.floor[i].cpu);
      const walls = results[side].map((r, i) => r.wall / results.floor[i].wall);
      console.log(
        `${side}: per-round cpu ratio median ${median(ratios).toFixed(3)}, wall ratio median ${median(walls).toFixed(3)}`,
      );
    }
  }
}
