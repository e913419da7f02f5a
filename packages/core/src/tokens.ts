// The injection tokens: one place, typed, shared across copies of the package (Symbol.for).
import type { Clock } from './clock.js';
import type { DrainStrategy } from './drain/DrainStrategy.js';
import type { ForceStrategy } from './force/ForceStrategy.js';
import type { TerminatorConfig } from './options.js';
import type { SocketRegistry } from './registry/SocketRegistry.js';

/** A symbol that remembers the type registered under it. */
export type Token<T> = symbol & {
  /** Type-only marker that carries `T`; never set at run time. */
  readonly __lastcallTokenType?: T;
};

const token = <T>(name: string): Token<T> => Symbol.for(`lastcall.${name}`) as Token<T>;

/**
 * Register a class or an instance under these on a tsyringe container to swap a part
 * (`container.register(TOKENS.drain, { useValue: new DelayedCloseDrain() })`). Each is a
 * `Symbol.for` symbol that remembers the type registered under it.
 */
export const TOKENS: {
  /** The drain strategy: how connections are asked to end. Default `KeepAliveDrain`. */
  readonly drain: symbol & {
    /** Type-only marker that carries the registered type; never set at run time. */ readonly __lastcallTokenType?: DrainStrategy;
  };
  /** The force strategy: how what is left ends at the deadline. Default `DestroyForce`. */
  readonly force: symbol & {
    /** Type-only marker that carries the registered type; never set at run time. */ readonly __lastcallTokenType?: ForceStrategy;
  };
  /** The clock used for every deadline and timer. Default `systemClock`. */
  readonly clock: symbol & {
    /** Type-only marker that carries the registered type; never set at run time. */ readonly __lastcallTokenType?: Clock;
  };
} = {
  /** The drain strategy: how connections are asked to end. Default `KeepAliveDrain`. */
  drain: token<DrainStrategy>('DrainStrategy'),
  /** The force strategy: how what is left ends at the deadline. Default `DestroyForce`. */
  force: token<ForceStrategy>('ForceStrategy'),
  /** The clock used for every deadline and timer. Default `systemClock`. */
  clock: token<Clock>('Clock'),
} as const;

/** What `createTerminator` registers for the terminator itself; not for users to replace. */
export const INTERNAL_TOKENS = {
  /** The terminator's resolved configuration (servers and graceful timeout). */
  config: token<TerminatorConfig>('TerminatorConfig'),
  /** The socket registry of one terminator. */
  registry: token<SocketRegistry>('SocketRegistry'),
} as const;
