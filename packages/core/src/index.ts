// @lastcall/core public surface (at most 30 names; each is used in docs/core.md or an example).
// Nothing else is exported; there are no deep imports.
/**
 * Graceful shutdown for Node.js http, https and http2 servers: `createTerminator`, its drain and force strategies, and the report.
 *
 * @packageDocumentation
 * @module @lastcall/core
 */
import 'reflect-metadata';

export { type Clock, systemClock } from './clock.js';
export type { ShutdownContext } from './context.js';
export { createContainer, createTerminator } from './createTerminator.js';
export { CHANNELS, type TerminateMessage } from './diagnostics.js';
export { DelayedCloseDrain } from './drain/DelayedCloseDrain.js';
export type { DrainStrategy } from './drain/DrainStrategy.js';
export { KeepAliveDrain } from './drain/KeepAliveDrain.js';
export { ListenerDelayDrain } from './drain/ListenerDelayDrain.js';
export {
  assertDuration,
  assertKnownOptions,
  describeValue,
  InvalidOptionRangeError,
  InvalidOptionTypeError,
  isInvalidOptionError,
  isStrategyError,
  StrategyError,
} from './errors.js';
export { DestroyForce } from './force/DestroyForce.js';
export type { ForceStrategy } from './force/ForceStrategy.js';
export { ResetForce } from './force/ResetForce.js';
export type { CreateTerminatorOptions } from './options.js';
export type { Connection, RegistryView } from './registry/Connection.js';
export { TOKENS } from './tokens.js';
export type { ServerLike, TerminationReport, Terminator } from './types.js';
export { withTimeout } from './wait.js';
