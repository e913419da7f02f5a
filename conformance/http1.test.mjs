// The HTTP/1.1 + HTTPS contract (DESIGN.md points 1-5, 8-10) on this runtime's own node:http and
// node:https servers, with raw clients on 127.0.0.1, against the built @lastcall/core.
import assert from 'node:assert/strict';
import { createTerminator } from '@lastcall/core';
import { BUN_IDLE_CLOSED_WITH_LISTENER, BUN_NO_HTTP_SERVER_CHANNELS } from './lib/gaps.mjs';
import { check, runtime } from './lib/harness.mjs';
import {
  connectRaw,
  deferred,
  GET,
  keepAliveAgent,
  listen,
  reader,
  request,
  responses,
  sleep,
  tryConnect,
  within,
} from './lib/net.mjs';

/** terminate() must settle well before this, in milliseconds (graceful period 5 s + force settle). */
const REPORT_WAIT = 8_000;

/** A handler that holds `/held` requests until `release` resolves; every other path answers at once. */
function held() {
  const arrived = [];
  const release = deferred();
  const handler = (req, res) => {
    if (req.url.startsWith('/held')) {
      arrived.push(req.url);
      void release.promise.then(() => res.end(`done ${req.url}`));
    } else res.end('ok');
  };
  return { handler, arrived, release };
}

async function until(condition, what, ms = 5_000) {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

for (const kind of ['http', 'https']) {
  const suite = `HTTP/1.1 ${kind}`;
  const serve = async (handler, defer, options = {}) => {
    const { server, port } = await listen(kind, handler, defer);
    const terminator = createTerminator({ server, gracefulTimeout: 5_000, ...options });
    defer(() => (terminator.state === 'running' ? terminator.dispose() : undefined));
    return { server, port, terminator };
  };

  check(suite, 'a new connection is refused once terminate() is called', async (defer) => {
    const { handler, arrived, release } = held();
    const { port, terminator } = await serve(handler, defer);
    const client = await connectRaw(kind, port, defer);
    client.write(GET('/held'));
    await until(() => arrived.length === 1, 'the request to arrive');
    const done = terminator.terminate();
    assert.equal(await tryConnect(port), 'refused');
    release.resolve();
    const report = await within(done, REPORT_WAIT, 'terminate()');
    assert.equal(report.timedOut, false);
  });

  check(suite, 'an in-flight response gets Connection: close and its connection closes after it', async (defer) => {
    const { handler, arrived, release } = held();
    const { port, terminator } = await serve(handler, defer);
    const client = await connectRaw(kind, port, defer);
    const read = reader(client);
    client.write(GET('/held'));
    await until(() => arrived.length === 1, 'the request to arrive');
    const done = terminator.terminate();
    await sleep(50);
    release.resolve();
    await read.until('done /held');
    const [response] = responses(read.text());
    assert.equal(response.status, 200);
    assert.equal(response.connection, 'close');
    assert.equal(await within(read.closed, 2_000, 'the connection to close'), undefined);
    const report = await within(done, REPORT_WAIT, 'terminate()');
    assert.equal(report.timedOut, false);
    assert.equal(report.requests.inFlightAtStart, 1);
    assert.equal(report.requests.completed, 1);
    assert.equal(report.requests.aborted, 0);
    assert.equal(report.connections.forced, 0);
  });

  check(suite, 'an idle keep-alive connection is closed promptly', async (defer) => {
    const { port, terminator } = await serve((_req, res) => res.end('ok'), defer);
    const client = await connectRaw(kind, port, defer);
    const read = reader(client);
    client.write(GET('/'));
    await read.until('ok');
    assert.equal(responses(read.text())[0].connection, 'keep-alive');
    const started = Date.now();
    const report = await within(terminator.terminate(), REPORT_WAIT, 'terminate()');
    await within(read.closed, 2_000, 'the idle connection to close');
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1_500, `the idle connection closed after ${elapsed} ms`);
    assert.equal(report.timedOut, false);
    assert.equal(report.connections.atStart, 1);
    assert.equal(report.connections.closedGracefully, 1);
    assert.equal(report.connections.forced, 0);
    // The report says when the runtime limited the drain: on Bun the idle grace cannot apply.
    if (runtime === 'bun')
      assert.match(report.runtimeLimits.join('\n'), /^bun: .*listener stayed open for the idle grace/m);
    else assert.deepEqual(report.runtimeLimits, []);
  });

  check(
    suite,
    'a request sent on an idle connection as the drain begins is served with Connection: close',
    async (defer) => {
      const { port, terminator } = await serve((req, res) => res.end(`ok ${req.url}`), defer);
      const client = await connectRaw(kind, port, defer);
      const read = reader(client);
      client.write(GET('/first'));
      await read.until('ok /first');
      const done = terminator.terminate();
      // The race Node's own close() loses: the client sends its next request just as the drain begins.
      client.write(GET('/next'));
      // Whichever comes first: the answer, or the connection closing without it.
      const error = await Promise.race([
        read.until('ok /next').then(
          () => 'answered',
          (e) => e.message,
        ),
        read.closed,
      ]);
      assert.ok(read.text().includes('ok /next'), `the connection closed without answering /next (${error})`);
      const [first, next] = responses(read.text());
      assert.equal(first.connection, 'keep-alive');
      assert.equal(next.status, 200);
      assert.equal(next.connection, 'close');
      assert.equal(await within(read.closed, 2_000, 'the connection to close'), undefined);
      const report = await within(done, REPORT_WAIT, 'terminate()');
      assert.equal(report.requests.receivedDuringDrain, 1);
      assert.equal(report.connections.forced, 0);
    },
  );

  check(suite, 'pipelined requests are all answered; only the last response closes the connection', async (defer) => {
    const { handler, arrived, release } = held();
    const { port, terminator } = await serve(handler, defer);
    const client = await connectRaw(kind, port, defer);
    const read = reader(client);
    client.write(GET('/held/1') + GET('/held/2') + GET('/held/3'));
    await until(() => arrived.length >= 1, 'the first request to arrive');
    await sleep(50);
    const done = terminator.terminate();
    release.resolve();
    await read.until('done /held/3');
    const answered = responses(read.text());
    assert.deepEqual(
      answered.map((r) => r.body),
      ['done /held/1', 'done /held/2', 'done /held/3'],
    );
    assert.deepEqual(
      answered.map((r) => r.connection),
      ['keep-alive', 'keep-alive', 'close'],
    );
    assert.equal(await within(read.closed, 2_000, 'the connection to close'), undefined);
    const report = await within(done, REPORT_WAIT, 'terminate()');
    assert.equal(report.connections.forced, 0);
  });

  check(suite, 'at the deadline the force ends what is left, and the report says so', async (defer) => {
    const { handler, arrived } = held();
    const { port, terminator } = await serve(handler, defer);
    const client = await connectRaw(kind, port, defer);
    const read = reader(client);
    client.write(GET('/held'));
    await until(() => arrived.length === 1, 'the request to arrive');
    const started = Date.now();
    const report = await within(terminator.terminate(300), REPORT_WAIT, 'terminate(300)');
    const elapsed = Date.now() - started;
    await within(read.closed, 2_000, 'the forced connection to close');
    assert.ok(elapsed >= 290 && elapsed < 2_000, `terminate(300) took ${elapsed} ms`);
    assert.equal(report.timedOut, true);
    assert.equal(report.connections.forced, 1);
    assert.equal(report.requests.inFlightAtStart, 1);
    assert.equal(report.requests.aborted, 1);
  });

  check(suite, 'the report counts connections and requests', async (defer) => {
    const { handler, arrived, release } = held();
    const { port, terminator } = await serve(handler, defer);
    const idle = [];
    for (let i = 0; i < 2; i++) {
      const client = await connectRaw(kind, port, defer);
      const read = reader(client);
      client.write(GET('/'));
      await read.until('ok');
      idle.push(read);
    }
    const busy = [];
    for (let i = 0; i < 3; i++) {
      const client = await connectRaw(kind, port, defer);
      busy.push(reader(client));
      client.write(GET(`/held/${i}`));
    }
    await until(() => arrived.length === 3, 'three requests to arrive');
    const done = terminator.terminate();
    await sleep(50);
    release.resolve();
    const report = await within(done, REPORT_WAIT, 'terminate()');
    for (const read of [...idle, ...busy]) await within(read.closed, 2_000, 'every connection to close');
    assert.equal(report.timedOut, false);
    assert.equal(report.connections.atStart, 5);
    assert.equal(report.connections.closedGracefully, 5);
    assert.equal(report.connections.forced, 0);
    assert.equal(report.requests.inFlightAtStart, 3);
    assert.equal(report.requests.completed, 3);
    assert.equal(report.requests.aborted, 0);
  });

  check(
    suite,
    'keep-alive load: no request fails while the server drains',
    async (defer) => {
      const { port, terminator } = await serve((_req, res) => setTimeout(() => res.end('ok'), 2), defer);
      const result = await keepAliveLoad(kind, port, defer, () => terminator.terminate());
      assert.equal(result.failed, 0, `failed requests: ${result.errors.join(', ')}`);
      // Every client was answered before the drain and, until it saw Connection: close, during it.
      assert.ok(result.ok >= 16, `only ${result.ok} requests were answered`);
      assert.equal(result.report.connections.forced, 0);
    },
    { gaps: { bun: BUN_IDLE_CLOSED_WITH_LISTENER } },
  );
}

check(
  'HTTP/1.1 http',
  'a terminator made at signal time adopts the responses already in flight',
  async (defer) => {
    const { handler, arrived, release } = held();
    const { server, port } = await listen('http', handler, defer);
    const client = await connectRaw('http', port, defer);
    const read = reader(client);
    client.write(GET('/held'));
    await until(() => arrived.length === 1, 'the request to arrive');
    // Made only now, as a SIGTERM handler would: the request began before it.
    const terminator = createTerminator({ server, gracefulTimeout: 5_000 });
    const done = terminator.terminate();
    await sleep(50);
    release.resolve();
    await read.until('done /held');
    assert.equal(responses(read.text())[0].connection, 'close');
    assert.equal(await within(read.closed, 2_000, 'the connection to close'), undefined);
    const report = await within(done, REPORT_WAIT, 'terminate()');
    if (runtime === 'bun') assert.match(report.runtimeLimits.join('\n'), /diagnostics channel/);
    assert.equal(report.requests.inFlightAtStart, 1);
    assert.equal(report.requests.completed, 1);
    assert.equal(report.connections.forced, 0);
  },
  { gaps: { bun: BUN_NO_HTTP_SERVER_CHANNELS } },
);

/**
 * Eight keep-alive clients send requests one after the other; `stop` runs once every client has
 * been answered at least once (its connection is accepted and kept alive) and 300 ms have passed.
 * Waiting for that matters on a starved machine: a connection still in the kernel's accept queue
 * when any listener closes is reset by the kernel, whatever the drain does. A client stops at its
 * first refused connection (the listener is closed) or after 4 s. Every other error (reset,
 * hang-up) is a failed request.
 */
export async function keepAliveLoad(kind, port, defer, stop) {
  let ok = 0;
  const errors = [];
  let stopping;
  const answered = new Set();
  const deadline = Date.now() + 4_000;
  const client = async (_, index) => {
    const agent = keepAliveAgent(kind, defer);
    while (Date.now() < deadline) {
      try {
        await request(kind, port, '/', agent);
        ok++;
        answered.add(index);
      } catch (error) {
        if (error.code === 'ECONNREFUSED' && stopping !== undefined) return;
        errors.push(`${error.code ?? error.message} (${error.reused ? 'reused socket' : 'new socket'})`);
        if (errors.length > 100) return;
      }
    }
  };
  const clients = Array.from({ length: 8 }, client);
  await sleep(300);
  await until(() => answered.size === 8, 'every client to be answered once');
  stopping = Promise.resolve(stop());
  const [report] = await Promise.all([within(stopping, REPORT_WAIT, 'the server to stop'), ...clients]);
  return { ok, failed: errors.length, errors, report };
}

/** A validator for assert.throws: an instance of `type` whose message matches `pattern`. */
const error = (type, pattern) => (e) => e instanceof type && pattern.test(e.message);

check('input', 'bad input is a clear error naming the option and the value', async (defer) => {
  assert.throws(() => createTerminator({}), error(TypeError, /"server".*undefined/));
  assert.throws(() => createTerminator({ server: { listen() {} } }), error(TypeError, /"server"/));
  assert.throws(() => createTerminator({ server: 8080 }), error(TypeError, /"server".*8080/));
  const { server } = await listen('http', (_req, res) => res.end(), defer);
  assert.throws(() => createTerminator({ server, gracefulTimeout: -1 }), error(RangeError, /gracefulTimeout.*-1/));
  const terminator = createTerminator({ server });
  defer(() => terminator.dispose());
  assert.throws(() => terminator.terminate('soon'), error(TypeError, /gracefulTimeout.*soon/));
});
