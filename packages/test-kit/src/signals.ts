// Small promise tools for tests: a deferred, an event with a time bound, any promise with a time bound, a sleep.
import type { EventEmitter } from 'node:events';

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves with the event's first argument, or rejects after `ms` naming the event. */
export function once<T = unknown>(emitter: EventEmitter, event: string, ms = 5_000): Promise<T> {
  return within(new Promise<T>((resolve) => emitter.once(event, (value: T) => resolve(value))), ms, `event "${event}"`);
}

/** The promise, or a rejection after `ms` saying what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
