// Error classes with brand guards: the guards work even when two copies of the package are loaded.
import { inspect } from 'node:util';

/** Renders a received value for an error message: short, one line, type visible. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (typeof value === 'function') return `${value.name || 'anonymous'} (function)`;
  const text = inspect(value, { depth: 0, breakLength: Number.POSITIVE_INFINITY, maxArrayLength: 3 });
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return value === null || value === undefined ? short : `${short} (${typeof value})`;
}

const message = (where: string, option: string, expected: string, value: unknown): string =>
  `${where}: option "${option}" must be ${expected}, received ${describeValue(value)}`;

/** An option or argument of the wrong type. `option` names it, `received` holds the value. */
export class InvalidOptionTypeError extends TypeError {
  /** Brand read by `isInvalidOptionError`, so the check works across two installed copies of lastcall. */
  readonly isLastcallInvalidOptionError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'InvalidOptionTypeError';
  constructor(
    where: string,
    /** The option or argument that was rejected, as the caller spelt it. */
    readonly option: string,
    expected: string,
    /** The value that was received, as given. */
    readonly received: unknown,
    options?: ErrorOptions,
  ) {
    super(message(where, option, expected, received), options);
  }
}

/** An option or argument of the right type but out of range (negative, NaN). */
export class InvalidOptionRangeError extends RangeError {
  /** Brand read by `isInvalidOptionError`, so the check works across two installed copies of lastcall. */
  readonly isLastcallInvalidOptionError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'InvalidOptionRangeError';
  constructor(
    where: string,
    /** The option or argument that was rejected, as the caller spelt it. */
    readonly option: string,
    expected: string,
    /** The value that was received, as given. */
    readonly received: unknown,
  ) {
    super(message(where, option, expected, received));
  }
}

/** True for either invalid-option error, from any copy of lastcall. */
export const isInvalidOptionError = (error: unknown): error is InvalidOptionTypeError | InvalidOptionRangeError =>
  typeof error === 'object' && error !== null && 'isLastcallInvalidOptionError' in error;

/** A drain or force strategy threw or rejected; the terminator recorded it and went on. */
export class StrategyError extends Error {
  /** Brand read by `isStrategyError`, so the check works across two installed copies of lastcall. */
  readonly isLastcallStrategyError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'StrategyError';
  constructor(
    /** Whether the drain or the force strategy failed. */
    readonly phase: 'drain' | 'force',
    cause: unknown,
    /** The failing strategy's class name, when a combined drain or the strategy itself said who. */
    readonly strategy?: string,
  ) {
    const who = strategy === undefined ? `the ${phase} strategy` : `the ${phase} strategy ${strategy}`;
    super(`lastcall: ${who} failed: ${cause instanceof Error ? cause.message : describeValue(cause)}`, {
      cause,
    });
  }
}

/** True for a `StrategyError` from any copy of lastcall. */
export const isStrategyError = (error: unknown): error is StrategyError =>
  typeof error === 'object' && error !== null && 'isLastcallStrategyError' in error;

/**
 * Validates a duration option in milliseconds: a number, not NaN, not negative.
 * `Infinity` is accepted only where `allowInfinity` says so.
 */
export function assertDurationMs(where: string, option: string, value: unknown, allowInfinity = false): number {
  const expected = `a non-negative number of milliseconds${allowInfinity ? ' (or Infinity)' : ''}`;
  if (typeof value !== 'number') throw new InvalidOptionTypeError(where, option, expected, value);
  if (Number.isNaN(value) || value < 0 || (!allowInfinity && !Number.isFinite(value))) {
    throw new InvalidOptionRangeError(where, option, expected, value);
  }
  return value;
}

/**
 * Rejects an option the callee does not know, naming it and listing the ones it does: a
 * misspelt or misremembered option (`timeout` for `gracefulTimeout`) would otherwise be
 * ignored and the default used without a word. Also rejects options that are not an object.
 */
export function assertKnownOptions(where: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionTypeError(where, 'options', 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidOptionTypeError(
        where,
        key,
        `a known option (one of ${known.join(', ')})`,
        (options as Record<string, unknown>)[key],
      );
    }
  }
}
