// Bad input for every WebSocketDrain option: each error names the option and the value received
// (the cases WebSocketDrain.test.ts does not already make).
import { isInvalidOptionError } from '@lastcall/core';
import { WebSocketDrain } from '@lastcall/ws';
import { WebSocketServer } from 'ws';

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
    'idleGraceMs a string (validated by the inherited KeepAliveDrain)',
    () => new WebSocketDrain({ webSocketServers: wss, idleGraceMs: '100' as never }),
    TypeError,
    'idleGraceMs',
    '"100" (string)',
  ],
  [
    'idleGraceMs NaN (validated by the inherited KeepAliveDrain)',
    () => new WebSocketDrain({ webSocketServers: wss, idleGraceMs: Number.NaN }),
    RangeError,
    'idleGraceMs',
    'NaN',
  ],
  [
    'idleGraceMs Infinity (validated by the inherited KeepAliveDrain)',
    () => new WebSocketDrain({ webSocketServers: wss, idleGraceMs: Number.POSITIVE_INFINITY }),
    RangeError,
    'idleGraceMs',
    'Infinity',
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
  // The options WebSocketDrain inherits are validated, and named, by KeepAliveDrain.
  const where = option === 'idleGraceMs' ? 'KeepAliveDrain' : 'WebSocketDrain';
  expect((thrown as Error).message).toContain(`${where}: option "${option}"`);
  expect((thrown as Error).message).toContain(shown);
});

test('the limits themselves are accepted: 3000, 4999, 1000, a reason of exactly 123 bytes, idleGraceMs 0', () => {
  for (const closeCode of [1000, 1001, 1014, 3000, 4999]) {
    expect(new WebSocketDrain({ webSocketServers: wss, closeCode }).closeCode).toBe(closeCode);
  }
  expect(
    new WebSocketDrain({ webSocketServers: [wss], closeReason: 'x'.repeat(123), idleGraceMs: 0 }).closeReason,
  ).toHaveLength(123);
});
