// The core's diagnostics_channel events: order, content, and no cost while nobody listens.
import diagnosticsChannel from 'node:diagnostics_channel';
import * as http from 'node:http';
import { CHANNELS, createTerminator, type TerminationReport } from '@lastcall/core';
import { startHttp1, within } from '@lastcall/test-kit';

type Seen = { channel: string; message: Record<string, unknown> };

function record(): { seen: Seen[]; stop: () => void } {
  const seen: Seen[] = [];
  const listeners = Object.values(CHANNELS).map((channel) => {
    const listener = (message: unknown): void =>
      void seen.push({ channel, message: message as Record<string, unknown> });
    diagnosticsChannel.subscribe(channel, listener);
    return () => diagnosticsChannel.unsubscribe(channel, listener);
  });
  return {
    seen,
    stop: () => {
      for (const undo of listeners) undo();
    },
  };
}

test('start, drain, force and end are published in order, with the counts and the report', async () => {
  const { server, port } = await startHttp1('http', () => undefined); // never answers: the deadline forces it
  const terminator = createTerminator({ server, gracefulTimeout: 100 });
  const request = http.get({ host: '127.0.0.1', port, agent: false });
  request.on('error', () => undefined);
  await within(new Promise((resolve) => server.once('request', resolve)), 5_000, 'the request to reach the server');
  const { seen, stop } = record();
  try {
    const report = await within(terminator.terminate(), 5_000, 'terminate() to resolve');
    expect(seen.map((s) => s.channel)).toEqual([CHANNELS.start, CHANNELS.drain, CHANNELS.force, CHANNELS.end]);
    for (const { message } of seen) expect(message.terminator).toBe(terminator);
    expect(seen[0]?.message).toMatchObject({ gracefulTimeout: 100 });
    expect(seen[1]?.message).toMatchObject({ connections: 1, inFlight: 1, gracefulTimeout: 100 });
    expect(seen[2]?.message).toMatchObject({ connections: 1 });
    expect(seen[2]?.message.elapsed).toBeGreaterThanOrEqual(90);
    expect(seen[3]?.message.report as TerminationReport).toBe(report);
  } finally {
    stop();
  }
});

test('a clean terminate publishes no force event', async () => {
  const { server } = await startHttp1('http', (_req, res) => res.end('ok'));
  const { seen, stop } = record();
  try {
    await within(createTerminator({ server }).terminate(), 5_000, 'terminate() to resolve');
    expect(seen.map((s) => s.channel)).toEqual([CHANNELS.start, CHANNELS.drain, CHANNELS.end]);
  } finally {
    stop();
  }
});

test('nothing is built or published while nobody subscribes', async () => {
  const publish = jest.spyOn(diagnosticsChannel.Channel.prototype, 'publish');
  try {
    const { server } = await startHttp1('http', (_req, res) => res.end('ok'));
    for (const channel of Object.values(CHANNELS)) expect(diagnosticsChannel.hasSubscribers(channel)).toBe(false);
    await within(createTerminator({ server }).terminate(), 5_000, 'terminate() to resolve');
    expect(publish).not.toHaveBeenCalled();
  } finally {
    publish.mockRestore();
  }
});
