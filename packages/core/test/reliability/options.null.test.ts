// Bad input the core's options.test.ts did not try: an explicit null where a number is expected
// used to be taken for "the default" (`??`); it is an error naming the option and the value.

import * as http from 'node:http';
import { createTerminator, DelayedCloseDrain, isInvalidOptionError, KeepAliveDrain } from '@lastcall/core';

const server = http.createServer();

const cases: Array<[label: string, call: () => unknown, where: string, option: string]> = [
  [
    'createTerminator gracefulTimeout',
    () => createTerminator({ server, gracefulTimeout: null as never }),
    'createTerminator',
    'gracefulTimeout',
  ],
  ['KeepAliveDrain idleGrace', () => new KeepAliveDrain({ idleGrace: null as never }), 'KeepAliveDrain', 'idleGrace'],
  ['DelayedCloseDrain delay', () => new DelayedCloseDrain({ delay: null as never }), 'DelayedCloseDrain', 'delay'],
  [
    'DelayedCloseDrain closeConnections',
    () => new DelayedCloseDrain({ closeConnections: null as never }),
    'DelayedCloseDrain',
    'closeConnections',
  ],
];

test.each(cases)(
  '%s: null is a TypeError naming the option and the value, not the default',
  (_label, call, where, option) => {
    let thrown: unknown;
    try {
      call();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect(isInvalidOptionError(thrown)).toBe(true);
    expect((thrown as Error).message).toContain(`${where}: option "${option}"`);
    expect((thrown as Error).message).toContain('received null');
  },
);

test('undefined still means the default', () => {
  expect(new KeepAliveDrain({ idleGrace: undefined }).idleGrace).toBe(100);
  expect(new DelayedCloseDrain({ delay: undefined }).delay).toBe(5_000);
  createTerminator({ server, gracefulTimeout: undefined }).dispose();
});
