// @lastcall/fastify against a real fastify instance on 127.0.0.1: close() drains through lastcall.
import type { AddressInfo } from 'node:net';
import { isInvalidOptionError, KeepAliveDrain } from '@lastcall/core';
import { lastcall } from '@lastcall/fastify';
import { collect, connectRaw, deferred, PATIENT_GRACE_MS, parseResponse, readUntil, within } from '@lastcall/test-kit';
import Fastify, { type FastifyInstance } from 'fastify';

const GET = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

let app: FastifyInstance | undefined;
// Each test's slow handler waits on this; afterEach releases it so a failed test cannot hang close().
let release = deferred();
// Resolved by a preClose hook registered before the plugin's: close() has begun, fastify has not
// touched the server yet, and the plugin's hook (the drain) runs next.
let closing = deferred();
beforeEach(() => {
  release = deferred();
  closing = deferred();
});
afterEach(async () => {
  release.resolve();
  if (app) await within(app.close(), 10_000, 'app.close() after the test');
  app = undefined;
});

async function start(release: Promise<void>, slowStarted: () => void, onClose?: () => void): Promise<number> {
  app = Fastify({ return503OnClosing: false });
  if (onClose) app.addHook('onClose', async () => onClose());
  app.addHook('preClose', async () => closing.resolve());
  // A patient idle grace: the request sent on the idle connection after close() began must reach
  // the server before the grace ends, even on a loaded machine.
  await app.register(lastcall, { drain: new KeepAliveDrain({ idleGrace: PATIENT_GRACE_MS }) });
  app.get('/', async () => 'ok');
  app.get('/slow', async () => {
    slowStarted();
    await release;
    return 'slow done';
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

test('close() waits for the request in flight and serves a request sent on an idle keep-alive connection, both with Connection: close', async () => {
  const slowStarted = deferred();
  const port = await start(release.promise, slowStarted.resolve);
  const busy = await connectRaw('http', port);
  const idle = await connectRaw('http', port);
  const idleFirst = readUntil(idle, 'ok');
  idle.write(GET('/'));
  await idleFirst;
  const busyOutcome = collect(busy);
  busy.write(GET('/slow'));
  await within(slowStarted.promise, 5_000, 'the slow handler');

  const closed = app?.close();
  await within(closing.promise, 5_000, 'close() to begin');
  // fastify's own close() without the plugin closes this idle connection at once: no answer.
  const idleOutcome = collect(idle);
  idle.write(GET('/'));
  const second = await idleOutcome;
  expect(parseResponse(second.text)).toMatchObject({ status: 200, body: 'ok', headers: { connection: 'close' } });

  release.resolve();
  await within(Promise.resolve(closed), 5_000, 'close() to resolve');
  const slow = parseResponse((await busyOutcome).text);
  expect(slow).toMatchObject({ status: 200, body: 'slow done', headers: { connection: 'close' } });
  expect(app?.lastcall.state).toBe('closed');
});

test('after @lastcall/lifecycle (or anyone) terminated the server, close() still runs the onClose hooks', async () => {
  release.resolve();
  const onClose = jest.fn();
  await start(release.promise, () => {}, onClose);
  const report = await app?.lastcall.terminate();
  expect(report?.timedOut).toBe(false);
  await app?.close();
  expect(onClose).toHaveBeenCalledTimes(1);
});

test('an unknown option is refused by name', async () => {
  const instance = Fastify();
  // @ts-expect-error: the misspelling is the point
  instance.register(lastcall, { gracefulTimout: 1_000 });
  const error: unknown = await instance.ready().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isInvalidOptionError(error)).toBe(true);
  expect(String(error)).toMatch(/option "gracefulTimout"/);
});
