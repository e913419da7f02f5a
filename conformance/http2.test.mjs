// HTTP/2 (DESIGN.md point 6; h2c and TLS): every session gets GOAWAY, open streams finish, the
// session closes when its last stream ends, the deadline forces; on this runtime's node:http2.
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { createTerminator } from '@lastcall/core';
import { check } from './lib/harness.mjs';
import { deferred, listen, sleep, tryConnect, within } from './lib/net.mjs';

const REPORT_WAIT = 8_000;

/** A client session to the server, with what it saw: GOAWAY frames and its close. */
async function connect(kind, port, defer) {
  const session = http2.connect(`${kind === 'h2c' ? 'http' : 'https'}://127.0.0.1:${port}`, {
    rejectUnauthorized: false,
  });
  defer(() => session.destroy());
  const seen = { goaway: 0 };
  session.on('goaway', () => {
    seen.goaway++;
  });
  session.on('error', () => undefined);
  const closed = new Promise((resolve) => session.once('close', resolve));
  await within(
    new Promise((resolve, reject) => {
      session.once('connect', resolve);
      session.once('error', reject);
    }),
    5_000,
    `an ${kind} session`,
  );
  return { session, seen, closed };
}

/** One GET on the session; resolves with its status and body. */
function get(session, path) {
  return within(
    new Promise((resolve, reject) => {
      const stream = session.request({ ':path': path });
      let status;
      let body = '';
      stream.on('response', (headers) => {
        status = headers[':status'];
      });
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        body += chunk;
      });
      stream.on('end', () => resolve({ status, body }));
      stream.on('error', reject);
    }),
    8_000,
    `GET ${path} over HTTP/2`,
  );
}

function held() {
  const arrived = [];
  const release = deferred();
  const handler = (req, res) => {
    arrived.push(req.url);
    if (req.url.startsWith('/held')) void release.promise.then(() => res.end(`done ${req.url}`));
    else res.end('ok');
  };
  return { handler, arrived, release };
}

for (const kind of ['h2c', 'h2']) {
  const suite = `HTTP/2 ${kind === 'h2c' ? 'h2c' : 'TLS'}`;
  const serve = async (handler, defer) => {
    const { server, port } = await listen(kind, handler, defer);
    const terminator = createTerminator({ server, gracefulTimeout: 5_000 });
    defer(() => (terminator.state === 'running' ? terminator.dispose() : undefined));
    return { port, terminator };
  };

  check(suite, 'an open stream finishes after GOAWAY, then the session closes', async (defer) => {
    const { handler, arrived, release } = held();
    const { port, terminator } = await serve(handler, defer);
    const client = await connect(kind, port, defer);
    const response = get(client.session, '/held');
    const started = Date.now();
    while (arrived.length === 0 && Date.now() - started < 5_000) await sleep(5);
    const done = terminator.terminate();
    assert.equal(await tryConnect(port), 'refused');
    await sleep(50);
    release.resolve();
    assert.deepEqual(await response, { status: 200, body: 'done /held' });
    await within(client.closed, 2_000, 'the session to close');
    assert.ok(client.seen.goaway >= 1, 'the client saw no GOAWAY');
    const report = await within(done, REPORT_WAIT, 'terminate()');
    assert.equal(report.timedOut, false);
    assert.equal(report.streams.inFlightAtStart, 1);
    assert.equal(report.streams.completed, 1);
    assert.equal(report.sessions.closedGracefully, 1);
    assert.equal(report.sessions.forced, 0);
  });

  check(suite, 'an idle session closes promptly', async (defer) => {
    const { port, terminator } = await serve((_req, res) => res.end('ok'), defer);
    const client = await connect(kind, port, defer);
    assert.deepEqual(await get(client.session, '/'), { status: 200, body: 'ok' });
    const started = Date.now();
    const report = await within(terminator.terminate(), REPORT_WAIT, 'terminate()');
    await within(client.closed, 2_000, 'the idle session to close');
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1_500, `the idle session closed after ${elapsed} ms`);
    assert.equal(report.timedOut, false);
    assert.equal(report.sessions.atStart, 1);
    assert.equal(report.connections.forced, 0);
  });

  check(suite, 'at the deadline the force ends an open stream, and the report says so', async (defer) => {
    const { handler, arrived } = held();
    const { port, terminator } = await serve(handler, defer);
    const client = await connect(kind, port, defer);
    const response = get(client.session, '/held').catch((error) => error);
    const started = Date.now();
    while (arrived.length === 0 && Date.now() - started < 5_000) await sleep(5);
    const report = await within(terminator.terminate(300), REPORT_WAIT, 'terminate(300)');
    await within(client.closed, 2_000, 'the forced session to close');
    const cut = await response;
    // Cut: an error, or a stream that ended with no response head.
    assert.ok(cut instanceof Error || cut.status === undefined, `the held stream was answered: ${JSON.stringify(cut)}`);
    assert.equal(report.timedOut, true);
    assert.equal(report.sessions.forced, 1);
    assert.equal(report.streams.inFlightAtStart, 1);
  });
}
