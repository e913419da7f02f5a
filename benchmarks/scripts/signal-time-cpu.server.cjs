// Bench child: a plain http server, with @lastcall/core loaded and attached when LOAD_CORE=1.
const http = require('node:http');
const server = http.createServer((_req, res) => res.end('ok'));
if (process.env.LOAD_CORE === '1') {
  const core = require(process.env.CORE_PATH);
  core.createTerminator({ server });
}
let before;
process.on('message', (m) => {
  if (m === 'start') {
    before = process.cpuUsage();
    process.send({ started: true });
  }
  if (m === 'stop') {
    const u = process.cpuUsage(before);
    process.send({ us: u.user + u.system });
  }
  if (m === 'exit') process.exit(0);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
