// EventStreamDrain on real sockets: two real http servers streaming server-sent events on
// 127.0.0.1, and EventSource-style clients (the stream format parsed from the bytes, `retry:`
// honoured, reconnecting when the stream ends) that move to the survivor when one shuts down.
import * as http from 'node:http';
import type * as net from 'node:net';
import { createTerminator, isInvalidOptionError, KeepAliveDrain } from '@lastcall/core';
import { sleep, within } from '@lastcall/test-kit';
import { EventStreamDrain } from '@lastcall/ws';

const CLIENTS = 20;

/** A server that sends `tick <n>` every 20 ms on /events, each stream registered with the drain. */
async function sseServer(drain: EventStreamDrain | undefined): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    let n = 0;
    const timer = setInterval(() => res.write(`id: ${++n}\ndata: tick ${n}\n\n`), 20);
    // The application stops writing when the stream closes, whoever ended it.
    res.on('close', () => clearInterval(timer));
    drain?.add(res);
    req.resume();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/events` };
}

interface Source {
  /** The reconnection time in force (from the last `retry:` field), in ms. */
  retry: () => number;
  /** Events received, per connection: each ends with the connection's last complete event. */
  connections: Array<{ url: string; data: string[]; endedAt?: number; partial: string }>;
  /** Resolves when the source has opened `count` connections. */
  opened(count: number): Promise<void>;
  close(): void;
}

/**
 * The EventSource algorithm, enough of it: GET with `Accept: text/event-stream`, fields parsed
 * line by line, an event dispatched on a blank line, `retry:` (digits only) sets the
 * reconnection time, and when the stream ends the source waits that long and reconnects (to
 * `next()`: the balancer's choice). Bounded: at most 5 connections.
 */
function eventSource(next: () => string, initialRetry = 3_000): Source {
  let retry = initialRetry;
  let closed = false;
  let current: http.ClientRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  const connections: Source['connections'] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const connect = (): void => {
    if (closed || connections.length >= 5) return;
    const url = next();
    const record: Source['connections'][number] = { url, data: [], partial: '' };
    connections.push(record);
    for (const waiter of waiters.filter((w) => connections.length >= w.count)) waiter.resolve();
    current = http.get(url, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      res.setEncoding('utf8');
      let buffer = '';
      let data: string[] = [];
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
          const line = buffer.slice(0, at);
          buffer = buffer.slice(at + 1);
          if (line === '') {
            if (data.length > 0) record.data.push(data.join('\n'));
            data = [];
            continue;
          }
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') data.push(value);
          else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
        }
      });
      res.on('end', () => {
        record.endedAt = performance.now();
        record.partial = buffer;
        if (!closed) timer = setTimeout(connect, retry);
      });
    });
    current.on('error', () => {
      if (!closed) timer = setTimeout(connect, retry);
    });
  };
  connect();
  return {
    retry: () => retry,
    connections,
    opened: (count) =>
      new Promise((resolve) => {
        if (connections.length >= count) resolve();
        else waiters.push({ count, resolve });
      }),
    close() {
      closed = true;
      clearTimeout(timer);
      current?.destroy();
    },
  };
}

test(`${CLIENTS} EventSource clients: each gets retry:, its stream ends at an instant spread over the window, and it reconnects to the survivor`, async () => {
  const drain = new EventStreamDrain({ spread: 600, retry: 150 });
  const leaving = await sseServer(drain);
  const survivor = await sseServer(undefined);
  const terminator = createTerminator({
    server: leaving.server,
    gracefulTimeout: 10_000,
    drain: [new KeepAliveDrain(), drain],
  });
  const sources: Source[] = [];
  try {
    // The balancer: the first connection of each client to the server that will leave.
    for (let i = 0; i < CLIENTS; i++) {
      let first = true;
      sources.push(
        eventSource(() => {
          const url = first ? leaving.url : survivor.url;
          first = false;
          return url;
        }),
      );
    }
    // Every stream registered and a few events through.
    for (let i = 0; i < 50 && drain.size < CLIENTS; i++) await sleep(20);
    expect(drain.size).toBe(CLIENTS);
    await sleep(100);

    const started = performance.now();
    const report = await within(terminator.terminate(), 5_000, 'terminate() to resolve');
    await within(Promise.all(sources.map((s) => s.opened(2))), 3_000, 'every client to reconnect');
    // One event from the survivor on every second connection.
    for (let i = 0; i < 50 && sources.some((s) => (s.connections[1]?.data.length ?? 0) === 0); i++) await sleep(20);

    const ends = sources.map((s) => (s.connections[0]?.endedAt ?? Number.NaN) - started).sort((a, b) => a - b);
    console.log(`SSE: streams ended from ${ends[0]?.toFixed(0)} to ${ends.at(-1)?.toFixed(0)} ms after terminate()`);
    for (const source of sources) {
      const [first, second] = source.connections;
      expect(source.retry()).toBe(150);
      // The stream ended on a message boundary: no half event left in the buffer.
      expect(first?.partial).toBe('');
      expect(first?.data.length).toBeGreaterThan(0);
      expect(second?.url).toBe(survivor.url);
      expect(second?.data.length).toBeGreaterThan(0);
    }
    expect(report.timedOut).toBe(false);
    expect(report.connections).toMatchObject({ atStart: CLIENTS, forced: 0 });
    expect(drain.size).toBe(0);
    // Spread: not all at once (at once, the 20 ends fall within a few ms).
    expect((ends.at(-1) as number) - (ends[0] as number)).toBeGreaterThanOrEqual(300);
    expect(ends.at(-1)).toBeLessThan(600 + 700);
  } finally {
    for (const source of sources) source.close();
    if (terminator.state === 'running') terminator.dispose();
    for (const { server } of [leaving, survivor]) {
      server.closeAllConnections();
      if (server.listening) server.close();
    }
  }
});

test('a stream added while draining is ended at once with its retry: message', async () => {
  const drain = new EventStreamDrain({ spread: 0, retry: 2_500 });
  const { server } = await sseServer(undefined);
  const terminator = createTerminator({ server, gracefulTimeout: 2_000, drain: [new KeepAliveDrain(), drain] });
  try {
    const done = terminator.terminate();
    const fake = { body: '', writableEnded: false };
    const response = {
      get writableEnded() {
        return fake.writableEnded;
      },
      write: (chunk: string) => {
        fake.body += chunk;
      },
      end: () => {
        fake.writableEnded = true;
      },
      once: () => undefined,
    };
    drain.add(response);
    expect(fake).toEqual({ body: 'retry: 2500\n\n', writableEnded: true });
    expect(drain.size).toBe(0);
    await within(done, 3_000, 'terminate() to resolve');
  } finally {
    if (terminator.state === 'running') terminator.dispose();
    server.closeAllConnections();
  }
});

test.each([
  [{ spread: -1 }, RangeError, /"spread"/],
  [{ retry: 1.5 }, RangeError, /"retry".*1\.5/],
  [{ retry: '1000' }, TypeError, /"retry"/],
  [{ retryMs: 1000 }, TypeError, /"retryMs".*did you mean "retry"/],
])('bad options %p are refused at construction, naming the option', (options, kind, message) => {
  let thrown: unknown;
  try {
    new EventStreamDrain(options as never);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(kind);
  expect(isInvalidOptionError(thrown)).toBe(true);
  expect((thrown as Error).message).toMatch(message);
});
