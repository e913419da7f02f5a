// Hooks and tasks as the coordinator takes them: a function or a definition, validated and named.
import { assertDuration, InvalidOptionRangeError, InvalidOptionTypeError } from '@lastcall/core';
import type { StepFunction } from './runStep.js';

/** A hook with its own name, timeout and order. */
export interface HookDefinition {
  /** Shown in the log and the report. Defaults to the function's name, or `hook N`. */
  name?: string;
  /** The hook itself: may return a promise, or take a `done` callback. */
  run: StepFunction;
  /** This hook's timeout in milliseconds. Defaults to the coordinator's `hookTimeout`. */
  timeout?: number;
  /** Position within its phase: ascending; equal orders run concurrently. Defaults to 0. */
  order?: number;
}

/** A hook after validation. */
export interface HookConfig {
  /** The hook's name, when it was given one. */
  readonly name: string | undefined;
  /** The hook itself. */
  readonly run: StepFunction;
  /** The hook's own timeout in milliseconds; `undefined` for the coordinator's `hookTimeout`. */
  readonly timeout: number | undefined;
  /** Position within its phase (ascending; equal orders run concurrently). */
  readonly order: number;
}

/** Validates a hook (function or definition) and names it. Shared with `task()`. */
export function resolveHook(where: string, option: string, hook: unknown): HookConfig {
  if (typeof hook === 'function')
    return { name: hook.name || undefined, run: hook as StepFunction, timeout: undefined, order: 0 };
  const definition = hook as Partial<HookDefinition> | null;
  if (typeof definition !== 'object' || definition === null || typeof definition.run !== 'function') {
    throw new InvalidOptionTypeError(where, option, 'a function or { run, name?, timeout?, order? }', hook);
  }
  if (definition.name !== undefined && (typeof definition.name !== 'string' || definition.name === '')) {
    throw new InvalidOptionTypeError(where, `${option}.name`, 'a non-empty string', definition.name);
  }
  return {
    name: definition.name ?? (definition.run.name || undefined),
    run: definition.run,
    timeout:
      definition.timeout === undefined
        ? undefined
        : assertDuration(where, `${option}.timeout`, definition.timeout, true),
    order: assertOrder(where, `${option}.order`, definition.order),
  };
}

export function assertOrder(where: string, option: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number') throw new InvalidOptionTypeError(where, option, 'a finite number', value);
  if (!Number.isFinite(value)) throw new InvalidOptionRangeError(where, option, 'a finite number', value);
  return value;
}

/** A step's `name` option: a non-empty string, or undefined for a name of the coordinator's choosing. */
export function assertName(where: string, option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    throw new InvalidOptionTypeError(where, option, 'a non-empty string', value);
  return value;
}
