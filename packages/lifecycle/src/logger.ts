// The logger the coordinator reports progress to: pino's shape, with a console default.
import { assertKnownOptions, type Clock, InvalidOptionTypeError, withTimeout } from '@lastcall/core';
import { hasMethods } from './shape.js';

/** Structured fields first, the human line second: the argument order of pino, bunyan-style. */
export type LogFn = (fields: Record<string, unknown>, message: string) => void;

/**
 * What the coordinator logs through. A pino logger fits as it is (`logger: pino()`), as does
 * anything with `info`, `warn` and `error`. An optional `debug` receives the whole
 * `ShutdownReport` after the final line; an optional `flush` is called before the process
 * exits, so an asynchronous destination does not lose the last lines.
 */
export interface Logger {
  /** Progress lines. */
  info: LogFn;
  /** Warnings: a step that failed or timed out, a forced shutdown. */
  warn: LogFn;
  /** Errors: an uncaught error that started the shutdown, a `finally` that threw. */
  error: LogFn;
  /** Receives the whole `ShutdownReport` (`{ event: 'report', report }`) after the final line. */
  debug?: LogFn;
  /** Called before the process exits (bounded by `FLUSH_TIMEOUT_MS`), so buffered lines are written. */
  flush?: (callback?: (error?: Error) => void) => void;
}

/** Options of `consoleLogger`. */
export interface ConsoleLoggerOptions {
  /** Written before every line. Defaults to `DEFAULT_CONSOLE_PREFIX` (`[lastcall]`). */
  prefix?: string;
  /**
   * `'info'` (the default): one line per event, the final report as one summary line.
   * `'debug'`: the debug lines too, which carry the whole `ShutdownReport` as one JSON line.
   */
  level?: 'info' | 'debug';
}

/** The console logger's line prefix, unless `prefix` says otherwise. */
export const DEFAULT_CONSOLE_PREFIX = '[lastcall]';

const CONSOLE_LOGGER_OPTIONS = ['prefix', 'level'] as const;

/**
 * The default: one plain line per event on the console, prefixed `[lastcall]`. Info and debug
 * go to stdout, warnings and errors to stderr. Structured fields are not printed, except the
 * `report` of a debug line, as one line of JSON: a shutdown stays a handful of lines in a
 * terminal or a log collector. A string argument is the prefix (the 0.1 signature).
 */
export function consoleLogger(options: ConsoleLoggerOptions | string = {}): Logger {
  const resolved = typeof options === 'string' ? { prefix: options } : options;
  assertKnownOptions('consoleLogger', resolved, CONSOLE_LOGGER_OPTIONS);
  const { prefix = DEFAULT_CONSOLE_PREFIX, level = 'info' } = resolved;
  if (typeof prefix !== 'string') throw new InvalidOptionTypeError('consoleLogger', 'prefix', 'a string', prefix);
  if (level !== 'info' && level !== 'debug') {
    throw new InvalidOptionTypeError('consoleLogger', 'level', "'info' or 'debug'", level);
  }
  const line =
    (write: (text: string) => void): LogFn =>
    (_fields, message) =>
      write(`${prefix} ${message}`);
  const logger: Logger = {
    info: line((text) => console.log(text)),
    warn: line((text) => console.error(text)),
    error: line((text) => console.error(text)),
  };
  if (level === 'debug') {
    logger.debug = (fields, message) =>
      console.log(
        fields.report === undefined
          ? `${prefix} ${message}`
          : `${prefix} ${message} ${JSON.stringify(fields.report, replacer)}`,
      );
  }
  return logger;
}

/** Logs nothing (`logger: false`). */
export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

// Errors have no enumerable fields: print their name and message rather than `{}`.
// Durations are measured to the microsecond; a tenth of a millisecond is plenty to read.
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'number' && !Number.isInteger(value)) return Math.round(value * 10) / 10;
  return value;
}

/** Time `flush()` may take before the process exits anyway, in milliseconds. */
export const FLUSH_TIMEOUT_MS = 1_000;

/**
 * Before the exit: the logger's `flush`, if any (an asynchronous logger writes its last lines),
 * then stdout and stderr, each bounded by `FLUSH_TIMEOUT_MS`. `process.exit` drops what a stream
 * has not written yet: under PM2 in cluster mode stdout is PM2's file stream, asynchronous, and the
 * final summary line was lost in every shutdown measured before this (0 of 6 reached the log).
 */
export async function flushLogger(logger: Logger, clock: Clock): Promise<void> {
  await flushLoggerOnly(logger, clock);
  await flushStdio(clock);
}

/**
 * Resolves once stdout and stderr have written everything before it: an empty write's callback
 * runs after the writes queued before it (PM2 passes it on to its own file stream).
 */
function flushStdio(clock: Clock): Promise<void> {
  const drained = [process.stdout, process.stderr].map(
    (stream) =>
      new Promise<void>((resolve) => {
        try {
          if (!stream.writable) return resolve();
          stream.write('', () => resolve());
        } catch {
          resolve();
        }
      }),
  );
  return withTimeout(
    Promise.all(drained).then(() => undefined),
    FLUSH_TIMEOUT_MS,
    clock,
    () => undefined,
  );
}

/** Calls the logger's `flush`, if any, and waits for its callback, bounded by `FLUSH_TIMEOUT_MS`. */
function flushLoggerOnly(logger: Logger, clock: Clock): Promise<void> {
  const flush = logger.flush;
  if (typeof flush !== 'function') return Promise.resolve();
  let done: () => void = () => undefined;
  const flushed = new Promise<void>((resolve) => {
    done = () => resolve();
  });
  // Bounded from before the call: a flush that blocks before calling back spends its own time.
  const wait = withTimeout(flushed, FLUSH_TIMEOUT_MS, clock, () => undefined);
  try {
    // A flush that takes no callback is synchronous: done when it returns.
    if (flush.length === 0) {
      flush.call(logger);
      done();
    } else flush.call(logger, done);
  } catch {
    done();
  }
  return wait;
}

/**
 * A `logger` option as lifecycle reads it, for packages that take one too (`@lastcall/cluster`):
 * `undefined` gives `consoleLogger(prefix)` (`[lastcall]` unless `prefix` says otherwise), `false`
 * a logger that drops everything, and anything else must have `info`, `warn` and `error`
 * functions (and `debug`, when present, a function).
 * @throws InvalidOptionTypeError naming `where` and the option `logger` otherwise.
 */
export function resolveLogger(where: string, value: Logger | false | undefined, prefix?: string): Logger {
  if (value === undefined) return prefix === undefined ? consoleLogger() : consoleLogger(prefix);
  if (value === false) return silentLogger;
  if (!hasMethods(value, ['info', 'warn', 'error'])) {
    throw new InvalidOptionTypeError(where, 'logger', 'a logger with info, warn and error methods, or false', value);
  }
  if (value.debug !== undefined && typeof value.debug !== 'function') {
    throw new InvalidOptionTypeError(where, 'logger.debug', 'a function when present', value.debug);
  }
  return value;
}
