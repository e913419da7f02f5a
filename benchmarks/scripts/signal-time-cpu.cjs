// Run (build the core first): CORE_PATH=$PWD/packages/core/dist/cjs/index.js ROUNDS=8 node benchmarks/scripts/signal-time-cpu.cjs
// A/B: CPU per request of a server process without and with @lastcall/core loaded (diagnostics subscribers included).
const { fork } = require('node:child_process');
const http = require('node:http');
const N = Number(process.env.N || 20000),
  C = 16,
  ROUNDS = Number(process.env.ROUNDS || 6);
function child(loadCore) {
  const c = fork(`${__dirname}/signal-time-cpu.server.cjs`, {
    env: { ...process.env, LOAD_CORE: loadCore ? '1' : '0' },
  });
  return new Promise((r) => c.once('message', (m) => r({ c, port: m.port })));
}
const ask = (c, msg) =>
  new Promise((r) => {
    c.once('message', r);
    c.send(msg);
  });
async function load(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: C });
  let sent = 0;
  const one = () =>
    new Promise((res, rej) => {
      http
        .get({ host: '127.0.0.1', port, agent }, (r) => {
          r.resume();
          r.on('end', res);
        })
        .on('error', rej);
    });
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (sent++ < N) await one();
    }),
  );
  agent.destroy();
}
async function measure({ c, port }) {
  await ask(c, 'start');
  await load(port);
  return (await ask(c, 'stop')).us / N;
}
(async () => {
  const bare = await child(false),
    lib = await child(true);
  await measure(bare);
  await measure(lib);
  const ratios = [];
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 ? [lib, bare] : [bare, lib];
    const a = await measure(order[0]),
      b = await measure(order[1]);
    const [bu, lu] = i % 2 ? [b, a] : [a, b];
    ratios.push(lu / bu);
    console.log(`round ${i}: bare ${bu.toFixed(1)} us, core ${lu.toFixed(1)} us, ratio ${(lu / bu).toFixed(3)}`);
  }
  ratios.sort((x, y) => x - y);
  console.log('median ratio', ((ratios[(ROUNDS - 1) >> 1] + ratios[ROUNDS >> 1]) / 2).toFixed(3));
  for (const x of [bare, lib]) x.c.send('exit');
})();
