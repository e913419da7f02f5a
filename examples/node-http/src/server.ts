// Plain node:http, node:https and node:http2 (TLS, with HTTP/1 fallback) servers behind one
// lastcall terminator; @lastcall/lifecycle owns SIGTERM/SIGINT. https and http2 listen only when
// TLS_KEY and TLS_CERT name PEM files. Run: pnpm start (PORT, HTTPS_PORT, H2_PORT, SLOW_MS).
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTerminator } from '@lastcall/core';
import { createCoordinator } from '@lastcall/lifecycle';

const slowMs = Number(process.env.SLOW_MS ?? 1_000);

// One handler for all three: http2's compatibility API has the same (req, res) shape.
function handler(
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
): void {
  if (req.url === '/slow') {
    // A request that takes a while, to see one finish during the shutdown.
    console.log('SLOW STARTED');
    setTimeout(() => res.end('slow done'), slowMs);
    return;
  }
  res.end('ok');
}

const servers: { name: string; server: http.Server | https.Server | http2.Http2SecureServer; port: number }[] = [
  { name: 'http', server: http.createServer(handler), port: Number(process.env.PORT ?? 3000) },
];
if (process.env.TLS_KEY && process.env.TLS_CERT) {
  const tls = { key: readFileSync(process.env.TLS_KEY), cert: readFileSync(process.env.TLS_CERT) };
  servers.push({
    name: 'https',
    server: https.createServer(tls, handler),
    port: Number(process.env.HTTPS_PORT ?? 3443),
  });
  servers.push({
    name: 'h2',
    server: http2.createSecureServer({ ...tls, allowHTTP1: true }, handler),
    port: Number(process.env.H2_PORT ?? 3444),
  });
}

// One terminator for all of them: one graceful period, one report. HTTP/2 sessions get GOAWAY.
const shutdown = createCoordinator({ deadline: 15_000 });
shutdown.add(createTerminator({ servers: servers.map(({ server }) => server), gracefulTimeout: 10_000 }), {
  name: 'servers',
});

Promise.all(
  servers.map(
    ({ name, server, port }) =>
      new Promise<string>((resolve) =>
        server.listen(port, '127.0.0.1', () => resolve(`${name}=${(server.address() as AddressInfo).port}`)),
      ),
  ),
).then((ports) => console.log(`READY ${ports.join(' ')}`));
