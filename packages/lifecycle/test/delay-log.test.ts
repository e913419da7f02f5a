// The lifecycle log says that a listener delay kept the listener open, for how long, and why the
// delay ended (issue 16): one `delay` line between `drain` and `closed`.
import { createTerminator, DelayedCloseDrain } from '@lastcall/core';
import { createCoordinator } from '@lastcall/lifecycle';
import { closeQuietly, startHttp1, within } from '@lastcall/test-kit';

test('a delay line: kept open how long, why it ended, connections accepted meanwhile', async () => {
  const { server } = await startHttp1('http', (_req, res) => res.end('ok'));
  const other = await startHttp1('http', (_req, res) => res.end('ok'));
  const lines: Array<{ fields: Record<string, unknown>; text: string }> = [];
  const log = (fields: Record<string, unknown>, text: string): void => void lines.push({ fields, text });
  const shutdown = createCoordinator({
    signals: [],
    exit: false,
    logger: { info: log, warn: log, error: log },
    deadline: 5_000,
  });
  try {
    shutdown.add(createTerminator({ server, drain: new DelayedCloseDrain({ delay: 80 }) }), { name: 'api' });
    // A plain drain on another server: no delay line for it.
    shutdown.add(createTerminator({ server: other.server }), { name: 'admin' });
    await within(shutdown.shutdown(), 5_000, 'the shutdown');
  } finally {
    await closeQuietly(server);
    await closeQuietly(other.server);
  }
  const delays = lines.filter((line) => line.fields.event === 'delay');
  expect(delays).toHaveLength(1);
  expect(delays[0]?.fields).toMatchObject({ terminator: 'api', outcome: 'delay', accepted: 0 });
  expect(delays[0]?.fields.duration).toBeGreaterThanOrEqual(75);
  expect(delays[0]?.text).toMatch(
    /^api: listener kept open \d+ ms: the delay ended \(delay\), then \d+ ms until no client was connecting; 0 connections accepted meanwhile$/,
  );
  const events = lines.map((line) => `${line.fields.event}:${line.fields.terminator ?? ''}`);
  expect(events.indexOf('delay:api')).toBeGreaterThan(events.indexOf('drain:api'));
  expect(events.indexOf('delay:api')).toBeLessThan(events.indexOf('closed:api'));
});
