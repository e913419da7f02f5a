// The process warnings lastcall emits: a code each, so a platform can route or silence them.

/** `process.emitWarning` codes (documented in docs/core.md, "Warnings"). */
export const WARNING_CODES = {
  /** A service's `drain` replaced a drain registered on the container that cannot wrap it. */
  drainReplaced: 'LASTCALL_DRAIN_REPLACED',
  /** The container's drain and the service's `drain` are both wrappers: their delays add up. */
  drainWrappedTwice: 'LASTCALL_DRAIN_WRAPPED_TWICE',
  /** `terminate()` was called on a server that never listened: there was nothing to drain. */
  notListening: 'LASTCALL_NOT_LISTENING',
} as const;

/** Emits a `LastcallWarning` with its code. */
export function warn(code: (typeof WARNING_CODES)[keyof typeof WARNING_CODES], message: string): void {
  process.emitWarning(`lastcall: ${message}`, { type: 'LastcallWarning', code });
}
