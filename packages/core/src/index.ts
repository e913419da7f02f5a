// @lastcall/core public surface. Nothing else is exported; there are no deep imports. What the
// sibling packages need but users should not is in ./internal.ts (@lastcall/core/internal).
/**
 * Graceful shutdown for Node.js http, https and http2 servers: `createTerminator`, its drain and force strategies, and the report.
 *
 * @packageDocumentation
 * @module @lastcall/core
 */
import 'reflect-metadata';

export { type Clock, systemClock } from './clock.js';
export type { ShutdownContext } from './context.js';
export { createContainer, createTerminator, WARNING_CODES } from './createTerminator.js';
export {
  CHANNELS,
  type ChannelName,
  type TerminateDrainMessage,
  type TerminateEndMessage,
  type TerminateForceMessage,
  type TerminateStartMessage,
} from './diagnostics.js';
export { CombinedDrain, combineDrains } from './drain/CombinedDrain.js';
export {
  DEFAULT_LISTEN_DELAY_MS,
  DelayedCloseDrain,
  type DelayedCloseDrainOptions,
} from './drain/DelayedCloseDrain.js';
export { type DrainStrategy, isWrappingDrain, type WrappingDrain } from './drain/DrainStrategy.js';
export {
  DEFAULT_IDLE_GRACE_MS,
  KeepAliveDrain,
  type KeepAliveDrainOptions,
} from './drain/KeepAliveDrain.js';
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
export {
  type CreateTerminatorOptions,
  DEFAULT_GRACEFUL_TIMEOUT_MS,
  type DrainOption,
  type StrategyClass,
} from './options.js';
export type { Connection, RegistryView } from './registry/Connection.js';
export { TOKENS, type Token } from './tokens.js';
export type {
  ConnectionKind,
  ServerLike,
  TerminationFailure,
  TerminationPhase,
  TerminationReport,
  Terminator,
  TerminatorState,
} from './types.js';
export { withTimeout } from './wait.js';
