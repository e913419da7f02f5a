// HTTP/2 GOAWAY race: streams a client sent before it saw the server's GOAWAY, refused (build the
// core first). node benchmarks/scripts/h2-goaway-race.mjs [runs]
//
// One client session opens 3 streams every millisecond; 100 ms in, the server shuts the session
// down. Between them, a TCP relay delays what the server sends by 20 ms (a round trip of a real
// network; on loopback the race is there too, but rarely lost): the client keeps opening streams
// for 20 ms after the server's GOAWAY left. Counted per run: streams answered in full, and streams
// refused (NGHTTP2_REFUSED_STREAM). Every stream counted was opened before the client received any
// GOAWAY (after it, Node's client refuses to open one), so each refusal is a stream "sent before the
// final GOAWAY". Three ways to shut the session down, h2c and TLS:
// - lastcall: createTerminator({ server }).terminate(), what @lastcall/core does today;
// - one-step: session.close() (a GOAWAY with the last stream id processed);
// - two-step: session.goaway(NO_ERROR, 2^31-1), a PING, and session.close() when its ack arrives
//   (bounded by 1 s): the sequence RFC 9113 6.8 recommends, as far as Node's public API allows it.
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const core = await import(path.join(here, '../../packages/core/dist/esm/index.js'));
const fixtures = path.join(here, '../../packages/test-kit/fixtures');
const tls = { key: readFileSync(path.join(fixtures, 'key.pem')), cert: readFileSync(path.join(fixtures, 'cert.pem')) };

const RUNS = Number(process.argv[2] ?? 20);
const DELAY_MS = 20;
const SHUTDOWN_AT_MS = 100;
const MAX_STREAMS = 3_000;

async function once(way, secure) {
  const server = secure ? http2.createSecureServer(tls) : http2.createServer();
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  let session;
  server.on('session', (s) => {
    session = s;
  });
  const terminator = way === 'lastcall' ? core.createTerminator({ server, gracefulTimeout: 5_000 }) : undefined;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relay = net.createServer((down) => {
    const up = net.connect(server.address().port, '127.0.0.1');
    down.pipe(up);
    up.on('data', (chunk) => setTimeout(() => down.write(chunk), DELAY_MS));
    up.on('end', () => setTimeout(() => down.end(), DELAY_MS));
    up.on('error', () => down.destroy());
    down.on('error', () => up.destroy());
  });
  await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const scheme = secure ? 'https' : 'http';
  const client = http2.connect(`${scheme}://127.0.0.1:${relay.address().port}`, { rejectUnauthorized: false });
  client.on('error', () => undefined);
  const counts = { opened: 0, ok: 0, refused: 0, other: 0 };
  await new Promise((resolve) => client.once('connect', resolve));
  const streams = [];
  const opener = setInterval(() => {
    for (let i = 0; i < 3 && counts.opened < MAX_STREAMS; i++) {
      let req;
      try {
        req = client.request({ ':path': '/' });
      } catch {
        clearInterval(opener);
        return;
      }
      counts.opened++;
      streams.push(
        new Promise((resolve) => {
          req.resume();
          req.on('end', () => {
            counts.ok++;
            resolve();
          });
          req.on('error', () => {
            if (req.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) counts.refused++;
            else counts.other++;
            resolve();
          });
        }),
      );
      req.end();
    }
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, SHUTDOWN_AT_MS));
  if (way === 'lastcall') void terminator.terminate();
  else if (way === 'one-step') session.close();
  else {
    session.goaway(http2.constants.NGHTTP2_NO_ERROR, 2 ** 31 - 1);
    const bound = setTimeout(() => session.close(), 1_000);
    session.ping(() => {
      clearTimeout(bound);
      session.close();
    });
  }
  const settled = Promise.all(streams);
  await Promise.race([
    new Promise((resolve) => client.once('close', resolve)),
    new Promise((r) => setTimeout(r, 5_000)),
  ]);
  clearInterval(opener);
  await Promise.race([settled, new Promise((r) => setTimeout(r, 2_000))]);
  client.destroy();
  relay.close();
  server.close();
  if (terminator !== undefined && terminator.state === 'running') terminator.dispose();
  return counts;
}

for (const secure of [false, true]) {
  for (const way of ['lastcall', 'one-step', 'two-step']) {
    const total = { opened: 0, ok: 0, refused: 0, other: 0 };
    let runsWithRefused = 0;
    for (let run = 0; run < RUNS; run++) {
      const counts = await once(way, secure);
      for (const key of Object.keys(total)) total[key] += counts[key];
      if (counts.refused > 0) runsWithRefused++;
    }
    console.log(
      `${secure ? 'TLS' : 'h2c'} ${way.padEnd(8)}: ${RUNS} runs, ${total.opened} streams, ${total.ok} answered, ` +
        `${total.refused} refused (in ${runsWithRefused} runs), ${total.other} other errors`,
    );
  }
}
