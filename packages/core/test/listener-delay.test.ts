// ListenerDelayDrain: the listener delay whose end is given to it (milliseconds, a promise, an
// AbortSignal, a function), bounded by maxDelay and the deadline, with the outcome on the
// object the user holds even when a container wrapped it into a copy.

import diagnosticsChannel from 'node:diagnostics_channel';
import * as net from 'node:net';
import {
  CHANNELS,
  createContainer,
  createTerminator,
  KeepAliveDrain,
  ListenerDelayDrain,
  type TerminateMessage,
  TOKENS,
} from '@lastcall/core';
import { closeQuietly, internals, sleep, startHttp1, within } from '@lastcall/test-kit';

type TerminateDelayMessage = Extract<TerminateMessage, { channel: 'delay' }>;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function app() {
  const started = await startHttp1('http', (_req, res) => res.end('ok'));
  cleanups.push(() => closeQuietly(started.server));
  return started;
}

function connectOutcome(port: number): Promise<'connected' | 'refused'> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', () => resolve('refused'));
  });
}

describe('ListenerDelayDrain', () => {
  test('a promise ends the delay; the string it resolves with is the outcome', async () => {
    const { server, port } = await app();
    let acknowledge: (why: string) => void = () => undefined;
    const acknowledged = new Promise<string>((resolve) => {
      acknowledge = resolve;
    });
    const drain = new ListenerDelayDrain({ until: () => acknowledged });
    const done = createTerminator({ server, drain, gracefulTimeout: 5_000 }).terminate();
    await sleep(100);
    expect(await connectOutcome(port)).toBe('connected');
    expect(drain.outcome).toBeUndefined();
    acknowledge('consul deregistered');
    const report = await within(done, 3_000, 'terminate()');
    expect(drain.outcome).toBe('consul deregistered');
    expect(drain.duration).toBeGreaterThanOrEqual(95);
    expect(report.failures).toEqual([]);
    expect(await connectOutcome(port)).toBe('refused');
  });

  test('an AbortSignal ends it, its string reason is the outcome; the function is given the context and a stop signal', async () => {
    const { server } = await app();
    const controller = new AbortController();
    let stopped: AbortSignal | undefined;
    const drain = new ListenerDelayDrain({
      until: (context, stop) => {
        expect(context.servers).toEqual([server]);
        stopped = stop;
        return controller.signal;
      },
    });
    const done = createTerminator({ server, drain, gracefulTimeout: 5_000 }).terminate();
    setTimeout(() => controller.abort('deploy paused'), 50);
    await within(done, 3_000, 'terminate()');
    expect(drain.outcome).toBe('deploy paused');
    expect(stopped?.aborted).toBe(true);
  });

  test('milliseconds: outcome delay; maxDelay bounds a promise that never settles; the deadline bounds both', async () => {
    const fixed = new ListenerDelayDrain({ until: 60 });
    await within(createTerminator({ server: (await app()).server, drain: fixed }).terminate(), 3_000, 'fixed');
    expect(fixed.outcome).toBe('delay');

    let stop: AbortSignal | undefined;
    const bounded = new ListenerDelayDrain({
      until: (_context, signal) => {
        stop = signal;
        return new Promise(() => undefined);
      },
      maxDelay: 80,
    });
    await within(createTerminator({ server: (await app()).server, drain: bounded }).terminate(), 3_000, 'bounded');
    expect(bounded.outcome).toBe('maxDelay');
    expect(stop?.aborted).toBe(true);

    const cut = new ListenerDelayDrain({ until: 10_000 });
    const report = await within(
      createTerminator({ server: (await app()).server, drain: cut, gracefulTimeout: 150 }).terminate(),
      3_000,
      'cut',
    );
    expect(cut.outcome).toBe('deadline');
    expect(report.duration).toBeLessThan(1_000);
  });

  test('an end that throws or rejects ends the delay at once and is in the report', async () => {
    const throwing = new ListenerDelayDrain({
      until: () => {
        throw new Error('no registry');
      },
    });
    const first = await within(
      createTerminator({ server: (await app()).server, drain: throwing }).terminate(),
      3_000,
      'throwing',
    );
    expect(throwing.outcome).toBe('failed');
    expect(first.failures.map((failure) => (failure.error.cause as Error).message)).toEqual(['no registry']);

    const rejecting = new ListenerDelayDrain({ until: () => Promise.reject(new Error('gone')) });
    const second = await within(
      createTerminator({ server: (await app()).server, drain: rejecting }).terminate(),
      3_000,
      'rejecting',
    );
    expect(rejecting.outcome).toBe('failed');
    expect(second.failures.map((failure) => (failure.error.cause as Error).message)).toEqual(['gone']);
  });

  test('registered on a container and wrapped around the service drain, the outcome is on the registered object; the channel says how long and why', async () => {
    const { server } = await app();
    const registered = new ListenerDelayDrain({ until: 50 });
    const platform = createContainer();
    platform.register(TOKENS.drain, { useValue: registered });
    const service = new KeepAliveDrain({ idleGrace: 0 });
    const terminator = createTerminator({ server, container: platform, drain: service });
    expect(internals(terminator).drain).not.toBe(registered);
    expect((internals(terminator).drain as ListenerDelayDrain).drain).toBe(service);
    const messages: TerminateDelayMessage[] = [];
    const listen = (message: unknown): void => {
      messages.push(message as TerminateDelayMessage);
    };
    diagnosticsChannel.subscribe(CHANNELS.delay, listen);
    try {
      await within(terminator.terminate(), 3_000, 'terminate()');
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.delay, listen);
    }
    expect(registered.outcome).toBe('delay');
    expect(registered.duration).toBeGreaterThanOrEqual(45);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ servers: [server], outcome: 'delay', closeConnections: true });
    expect(messages[0]?.duration).toBe(registered.duration);
  });

  test('bad options are named', () => {
    expect(() => new ListenerDelayDrain({} as never)).toThrow(/ListenerDelayDrain.*"until"/);
    expect(() => new ListenerDelayDrain({ until: 'soon' as never })).toThrow(/"until".*"soon"/);
    expect(() => new ListenerDelayDrain({ until: -1 })).toThrow(/"until".*-1/);
    expect(() => new ListenerDelayDrain({ until: 1, maxDelay: Number.NaN })).toThrow(/"maxDelay".*NaN/);
    expect(() => new ListenerDelayDrain({ until: 1, closeConnections: 'yes' as never })).toThrow(/"closeConnections"/);
    expect(() => new ListenerDelayDrain({ until: 1, delay: 5 } as never)).toThrow(/"delay"/);
  });
});
