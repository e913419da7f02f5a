// HTTP/2 session opened before the terminator (build the core first): node benchmarks/scripts/signal-time-h2.cjs
const http2 = require('node:http2');
const core = require('../../packages/core/dist/cjs/index.js');
const server = http2.createServer();
server.on('stream', (s) =>
  setTimeout(() => {
    s.respond({ ':status': 200 });
    s.end('ok');
  }, 300),
);
server.listen(0, '127.0.0.1', async () => {
  const client = http2.connect(`http://127.0.0.1:${server.address().port}`);
  let goaway = false;
  client.on('goaway', () => {
    goaway = true;
  });
  client.on('error', () => {});
  const req = client.request({ ':path': '/' });
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => (body += d));
  const ended = new Promise((r) => {
    req.on('end', r);
    req.on('error', (e) => r(e.code));
  });
  await new Promise((r) => setTimeout(r, 50));
  const t = performance.now();
  const report = await core.createTerminator({ server, gracefulTimeout: 3000 }).terminate();
  console.log(process.version, {
    ms: Math.round(performance.now() - t),
    timedOut: report.timedOut,
    body,
    streamEnd: await ended,
    goaway,
    inFlightAtStart: report.requests.inFlightAtStart,
  });
  client.close();
});
