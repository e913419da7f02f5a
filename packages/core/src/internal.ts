// @lastcall/core/internal: what lastcall's sibling packages (ws, lifecycle) share with the core
// but users should not build on. NOT covered by semver: any release may change or remove it.
// Being removed: the helpers are public in @lastcall/core now (assertKnownOptions,
// assertDuration, describeValue, withTimeout); the old names stay here until no sibling imports them.

export { assertDuration as assertDurationMs, assertDuration, assertKnownOptions, describeValue } from './errors.js';
export { FORCE_SETTLE_TIMEOUT_MS, type TerminatorConfig } from './options.js';
export type { RegistryCounters } from './registry/counters.js';
export { SocketRegistry, type SocketRegistryEvents } from './registry/SocketRegistry.js';
export { TerminatorImpl } from './Terminator.js';
export { INTERNAL_TOKENS } from './tokens.js';
export { withTimeout } from './wait.js';
