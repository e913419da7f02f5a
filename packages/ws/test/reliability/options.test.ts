// Bad input for every WebSocketDrain option: each error names the option and the value received
// (the cases WebSocketDrain.test.ts does not already make); the limits themselves reach a real client.
import * as http from 'node:http';
import type * as net from 'node:net';
import { createTerminator, isInvalidOptionError, KeepAliveDrain } from '@lastcall/core';
import { within } from '@lastcall/test-kit';
import { WebSocketDrain } from '@lastcall/ws';
import { WebSocket, WebSocketServer } from 'ws';

/** The documented default reason (docs/websocket.md), no longer exported. */
const DEFAULT_CLOSE_REASON = 'server shutting down';

const wss = new WebSocketServer({ noServer: true });
afterAll(() => wss.close());

type Case = [
  label: string,
  make: () => unknown,
  kind: typeof TypeError | typeof RangeError,
  option: string,
  shown: string,
];

const cases: Case[] = [
  ['options null', () => new WebSocketDrain(null as never), TypeError, 'options', 'null'],
  ['options a string', () => new WebSocketDrain('wss' as never), TypeError, 'options', '"wss" (string)'],
  [
    'webSocketServers null',
    () => new WebSocketDrain({ webSocketServers: null as never }),
    TypeError,
    'webSocketServers',
    'null',
  ],
  [
    'webSocketServers an http-like object without clients',
    () => new WebSocketDrain({ webSocketServers: { on() {}, off() {} } as never }),
    TypeError,
    'webSocketServers.clients',
    'undefined',
  ],
  [
    'a bad second server in the list',
    () => new WebSocketDrain({ webSocketServers: [wss, 'ws' as never] }),
    TypeError,
    'webSocketServers[1]',
    '"ws" (string)',
  ],
  [
    'closeCode not an integer',
    () => new WebSocketDrain({ webSocketServers: wss, closeCode: 1000.5 }),
    RangeError,
    'closeCode',
    '1000.5',
  ],
  [
    'closeCode reserved 1005',
    () => new WebSocketDrain({ webSocketServers: wss, closeCode: 1005 }),
    RangeError,
    'closeCode',
    '1005',
  ],
  [
    'closeCode above 4999',
    () => new WebSocketDrain({ webSocketServers: wss, closeCode: 5000 }),
    RangeError,
    'closeCode',
    '5000',
  ],
  [
    'closeCode NaN',
    () => new WebSocketDrain({ webSocketServers: wss, closeCode: Number.NaN }),
    RangeError,
    'closeCode',
    'NaN',
  ],
  [
    'closeCode null',
    () => new WebSocketDrain({ webSocketServers: wss, closeCode: null as never }),
    TypeError,
    'closeCode',
    'null',
  ],
  [
    'closeReason null',
    () => new WebSocketDrain({ webSocketServers: wss, closeReason: null as never }),
    TypeError,
    'closeReason',
    'null',
  ],
  [
    'closeReason of 124 ASCII bytes',
    () => new WebSocketDrain({ webSocketServers: wss, closeReason: 'x'.repeat(124) }),
    RangeError,
    'closeReason',
    'it has 124',
  ],
  [
    'idleGrace, an option of the HTTP drain since 0.2 (WebSocketDrain is a participant)',
    () => new WebSocketDrain({ webSocketServers: wss, idleGrace: 100 } as never),
    TypeError,
    'idleGrace',
    'one of webSocketServers, closeCode, closeReason',
  ],
];

test.each(cases)('WebSocketDrain, %s: throws naming the option and the value', (_label, make, kind, option, shown) => {
  let thrown: unknown;
  try {
    make();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(kind);
  expect(isInvalidOptionError(thrown)).toBe(true);
  expect((thrown as Error).message).toContain(`WebSocketDrain: option "${option}"`);
  expect((thrown as Error).message).toContain(shown);
});

/**
 * A real http + ws server on 127.0.0.1, one real ws client, terminate() with `options`: the
 * close code and reason the client saw. `ws`'s client checks a received close frame itself
 * (a code it rejects closes with 1002, a reason that is not valid UTF-8 with 1007).
 */
async function closeSeenByClient(options: {
  closeCode?: number;
  closeReason?: string;
  idleGrace?: number;
}): Promise<{ code: number; reason: string; timedOut: boolean }> {
  const server = http.createServer((_req, res) => res.end());
  const ws = new WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const terminator = createTerminator({
    server,
    gracefulTimeout: 5_000,
    drain: [
      new KeepAliveDrain(options.idleGrace === undefined ? {} : { idleGrace: options.idleGrace }),
      new WebSocketDrain({
        webSocketServers: ws,
        ...(options.closeCode !== undefined && { closeCode: options.closeCode }),
        ...(options.closeReason !== undefined && { closeReason: options.closeReason }),
      }),
    ],
  });
  const client = new WebSocket(`ws://127.0.0.1:${port}/`);
  client.on('error', () => undefined);
  try {
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      client.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
    );
    await within(
      new Promise<void>((resolve, reject) => {
        client.once('open', () => resolve());
        client.once('error', reject);
      }),
      5_000,
      'the WebSocket to open',
    );
    const report = await within(terminator.terminate(), 4_000, 'terminate() to resolve');
    return { ...(await within(closed, 2_000, 'the client to see its close')), timedOut: report.timedOut };
  } finally {
    client.terminate();
    if (terminator.state === 'running') terminator.dispose();
    server.closeAllConnections();
    await within(new Promise<void>((resolve) => ws.close(() => resolve())), 2_000, 'the ws server to close');
  }
}

test.each([1000, 1001, 1014, 3000, 4999])(
  'close code %i (a limit of the accepted ranges, or the default) is accepted and a real client sees it',
  async (closeCode) => {
    expect(await closeSeenByClient({ closeCode })).toEqual({
      code: closeCode,
      reason: DEFAULT_CLOSE_REASON,
      timedOut: false,
    });
  },
);

test('a reason of exactly 123 bytes (multi-byte UTF-8) is accepted and a real client gets it whole', async () => {
  // 61 two-byte characters and one ASCII: 123 bytes but 62 characters, so the limit is in bytes.
  const closeReason = `${'é'.repeat(61)}x`;
  expect(Buffer.byteLength(closeReason)).toBe(123);
  expect(await closeSeenByClient({ closeReason, idleGrace: 0 })).toEqual({
    code: 1001,
    reason: closeReason,
    timedOut: false,
  });
});
