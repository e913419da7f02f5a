// Error classes with brand guards: the guards work even when two copies of the package are loaded.
import { inspect } from 'node:util';

/**
 * Renders a received value for an error message: short (at most 60 characters), one line,
 * its type visible (`"5s" (string)`, `42 (number)`, `handler (function)`, `null`).
 *
 * For lastcall's sibling packages and other package authors: the same rendering as core's own
 * errors. Covered by semver.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (typeof value === 'function') return `${value.name || 'anonymous'} (function)`;
  const text = inspect(value, { depth: 0, breakLength: Number.POSITIVE_INFINITY, maxArrayLength: 3 });
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return value === null || value === undefined ? short : `${short} (${typeof value})`;
}

const message = (where: string, option: string, expected: string, value: unknown, hint?: string): string =>
  `${where}: option "${option}" must be ${expected}, received ${describeValue(value)}${hint === undefined ? '' : `; ${hint}`}`;

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
    /** The `cause`, and a `hint` appended to the message (`did you mean "gracefulTimeout"?`). */
    options?: ErrorOptions & { readonly hint?: string },
  ) {
    super(message(where, option, expected, received, options?.hint), options);
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
 * Validates a duration option in milliseconds: a number, not NaN, not negative, and returns it.
 * `Infinity` is accepted only where `allowInfinity` says so. Throws `InvalidOptionTypeError`
 * for a value that is not a number and `InvalidOptionRangeError` for NaN, a negative number or
 * an unallowed `Infinity`; the message names `where`, the option and the value.
 *
 * For lastcall's sibling packages and other package authors: validates an option the way core
 * does. Covered by semver.
 *
 * @param where the function or class the option belongs to, first in the message (`'KeepAliveDrain'`).
 * @param option the option's name as the caller spells it (`'idleGrace'`).
 * @param value the value received.
 * @param allowInfinity whether `Infinity` ("no limit") is a valid value. Defaults to false.
 */
export function assertDuration(where: string, option: string, value: unknown, allowInfinity = false): number {
  const expected = `a non-negative number of milliseconds${allowInfinity ? ' (or Infinity)' : ''}`;
  if (typeof value !== 'number') throw new InvalidOptionTypeError(where, option, expected, value);
  if (Number.isNaN(value) || value < 0 || (!allowInfinity && !Number.isFinite(value))) {
    throw new InvalidOptionRangeError(where, option, expected, value);
  }
  return value;
}

/**
 * Rejects an option the callee does not know, naming it, suggesting the nearest known name
 * when one is close (`did you mean "gracefulTimeout"?` for `gracefulTimout` or
 * `gracefulTimeout`) and listing the ones it knows: a misspelt or misremembered option
 * would otherwise be ignored and the default used without a word. Also rejects options that
 * are not a plain object (`InvalidOptionTypeError` either way).
 *
 * For lastcall's sibling packages and other package authors. Covered by semver.
 *
 * @param where the function or class the options belong to, first in the message.
 * @param options the options object received (`undefined` is not accepted: default it first).
 * @param known every option name the callee accepts.
 */
export function assertKnownOptions(where: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionTypeError(where, 'options', 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const near = nearestName(key, known);
      throw new InvalidOptionTypeError(
        where,
        key,
        `a known option (one of ${known.join(', ')})`,
        (options as Record<string, unknown>)[key],
        near === undefined ? undefined : { hint: `did you mean "${near}"?` },
      );
    }
  }
}

/**
 * The known name closest to `name` by edit distance (case-insensitive), when it is close
 * enough to be a typo or a renamed option: at most one edit for a short name, up to three
 * for a long one, and less than half of either name. `undefined` when nothing is that close.
 */
function nearestName(name: string, known: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    // Less than half of the shorter name changed: `x` is not a typo of `y`.
    if (distance < bestDistance && distance * 2 < Math.min(name.length, candidate.length)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions), one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
