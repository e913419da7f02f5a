// Bad input is a clear error at the call: the right class, the option's name, the value received.
import * as http from 'node:http';
import {
  assertDuration,
  assertKnownOptions,
  createTerminator,
  DelayedCloseDrain,
  InvalidOptionRangeError,
  InvalidOptionTypeError,
  isInvalidOptionError,
  KeepAliveDrain,
} from '@lastcall/core';

const server = http.createServer();
afterAll(() => server.close());

/** A drain whose constructor takes a parameter with no default: tsyringe has nothing to pass. */
class NeedsArgumentDrain extends KeepAliveDrain {
  constructor(readonly label: string) {
    super();
  }
}

/** A class, but not a strategy: no begin(), no force(). */
class NotADrain {
  readonly kind = 'not a strategy';
}

type Case = [label: string, call: () => unknown, errorClass: typeof TypeError | typeof RangeError, fragments: string[]];

const cases: Case[] = [
  ['no options at all', () => createTerminator(undefined as never), TypeError, ['"options"', 'undefined']],
  ['no server', () => createTerminator({}), TypeError, ['"server"', 'undefined']],
  ['a server that is not a server', () => createTerminator({ server: {} as never }), TypeError, ['"server"', '{}']],
  ['both server and servers', () => createTerminator({ server, servers: [server] }), TypeError, ['"server"']],
  ['servers not an array', () => createTerminator({ servers: server as never }), TypeError, ['"servers"']],
  ['servers empty', () => createTerminator({ servers: [] }), RangeError, ['"servers"', '[]']],
  [
    'servers with a non-server',
    () => createTerminator({ servers: [server, 42 as never] }),
    TypeError,
    ['"servers[1]"', '42 (number)'],
  ],
  [
    'a negative gracefulTimeout',
    () => createTerminator({ server, gracefulTimeout: -1 }),
    RangeError,
    ['"gracefulTimeout"', '-1 (number)'],
  ],
  [
    'a NaN gracefulTimeout',
    () => createTerminator({ server, gracefulTimeout: Number.NaN }),
    RangeError,
    ['"gracefulTimeout"', 'NaN'],
  ],
  [
    'a string gracefulTimeout',
    () => createTerminator({ server, gracefulTimeout: '10' as never }),
    TypeError,
    ['"gracefulTimeout"', '"10" (string)'],
  ],
  [
    'a drain that is not a strategy',
    () => createTerminator({ server, drain: 42 as never }),
    TypeError,
    ['"drain"', '42'],
  ],
  [
    'a drain object without begin()',
    () => createTerminator({ server, drain: {} as never }),
    TypeError,
    ['"drain"', 'begin()'],
  ],
  [
    'a drain class whose constructor needs an argument (tsyringe cannot build it)',
    () => createTerminator({ server, drain: NeedsArgumentDrain as never }),
    TypeError,
    ['"drain"', 'tsyringe can construct', 'NeedsArgumentDrain'],
  ],
  [
    'a drain class whose instances have no begin()',
    () => createTerminator({ server, drain: NotADrain as never }),
    TypeError,
    ['"drain"', 'begin()'],
  ],
  [
    'a force class whose instances have no force()',
    () => createTerminator({ server, force: NotADrain as never }),
    TypeError,
    ['"force"', 'force()'],
  ],
  [
    'a force that is not a strategy',
    () => createTerminator({ server, force: 'destroy' as never }),
    TypeError,
    ['"force"', '"destroy"'],
  ],
  [
    'a container that is not a container',
    () => createTerminator({ server, container: {} as never }),
    TypeError,
    ['"container"'],
  ],
  [
    'a clock that is not a clock',
    () => createTerminator({ server, clock: { now: 1 } as never }),
    TypeError,
    ['"clock"'],
  ],
  [
    'a clock without clearTimeout',
    () => createTerminator({ server, clock: { now: () => 0, setTimeout: () => 0 } as never }),
    TypeError,
    ['"clock"', 'clearTimeout'],
  ],
  [
    'a negative idleGrace',
    () => new KeepAliveDrain({ idleGrace: -5 }),
    RangeError,
    ['KeepAliveDrain', '"idleGrace"', '-5'],
  ],
  [
    'an infinite idleGrace',
    () => new KeepAliveDrain({ idleGrace: Number.POSITIVE_INFINITY }),
    RangeError,
    ['"idleGrace"', 'Infinity'],
  ],
  [
    'a NaN delay',
    () => new DelayedCloseDrain({ delay: Number.NaN }),
    RangeError,
    ['DelayedCloseDrain', '"delay"', 'NaN'],
  ],
  ['a string delay', () => new DelayedCloseDrain({ delay: '5s' as never }), TypeError, ['"delay"', '"5s"']],
];

test.each(cases)('%s: throws at the call, naming the option and the value', (_label, call, errorClass, fragments) => {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(errorClass);
  expect(isInvalidOptionError(thrown)).toBe(true);
  for (const fragment of fragments) expect((thrown as Error).message).toContain(fragment);
});

describe('terminate(gracefulTimeout)', () => {
  const terminator = createTerminator({ server });
  afterAll(() => terminator.dispose());

  test.each([
    [-5, InvalidOptionRangeError, '-5 (number)'],
    [Number.NaN, InvalidOptionRangeError, 'NaN'],
    ['1000', InvalidOptionTypeError, '"1000" (string)'],
    [null, InvalidOptionTypeError, 'null'],
  ])('terminate(%p) throws synchronously and leaves the terminator running', (value, errorClass, fragment) => {
    expect(() => terminator.terminate(value as never)).toThrow(errorClass);
    expect(() => terminator.terminate(value as never)).toThrow(/terminate: option "gracefulTimeout"/);
    expect(() => terminator.terminate(value as never)).toThrow(fragment);
    expect(terminator.state).toBe('running');
  });
});

test('the brand guard tells our errors from any other TypeError', () => {
  expect(isInvalidOptionError(new TypeError('x'))).toBe(false);
  expect(isInvalidOptionError(undefined)).toBe(false);
  expect(isInvalidOptionError({ isLastcallInvalidOptionError: true })).toBe(true);
});

describe('an unknown option: the nearest known name, when one is close', () => {
  test.each([
    // A typo, a 0.2 name (unit suffix dropped in 1.0), a case slip.
    ['gracefulTimout', () => createTerminator({ server, gracefulTimout: 1_000 } as never), 'gracefulTimeout'],
    ['gracefulTimeoutMs', () => createTerminator({ server, gracefulTimeoutMs: 1_000 } as never), 'gracefulTimeout'],
    ['idleGraceMs', () => new KeepAliveDrain({ idleGraceMs: 0 } as never), 'idleGrace'],
    ['delayMs', () => new DelayedCloseDrain({ delayMs: 0 } as never), 'delay'],
    ['Server', () => createTerminator({ Server: server } as never), 'server'],
  ])('%s: did you mean "%s"?', (key, call, near) => {
    expect(call).toThrow(InvalidOptionTypeError);
    expect(call).toThrow(`option "${key}" must be a known option (one of `);
    expect(call).toThrow(new RegExp(`; did you mean "${near}"\\?$`));
  });

  test.each([
    ['timeout', () => createTerminator({ server, timeout: 1_000 } as never)],
    ['grace', () => new KeepAliveDrain({ grace: 0 } as never)],
    ['x', () => assertKnownOptions('where', { x: 1 }, ['y'])],
  ])('%s: nothing close, no suggestion (the known names are listed)', (_key, call) => {
    expect(call).toThrow(/must be a known option \(one of [^)]+\), received [^;]+$/);
  });
});

describe('assertDuration, for package authors', () => {
  test('returns a valid duration and rejects the rest by name', () => {
    expect(assertDuration('Mine', 'wait', 25)).toBe(25);
    expect(assertDuration('Mine', 'wait', Number.POSITIVE_INFINITY, true)).toBe(Number.POSITIVE_INFINITY);
    expect(() => assertDuration('Mine', 'wait', Number.POSITIVE_INFINITY)).toThrow(InvalidOptionRangeError);
    expect(() => assertDuration('Mine', 'wait', '25')).toThrow(
      'Mine: option "wait" must be a non-negative number of milliseconds, received "25" (string)',
    );
  });
});
