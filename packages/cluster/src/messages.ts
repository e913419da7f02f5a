// The messages between the primary and its workers: one tagged shape each way, validated on receipt.

/** The tag every lastcall message carries, so the application's own messages are never mistaken for ours. */
export const MESSAGE_TAG = 'lastcall:cluster';

/** Worker to primary: listening and warmed up, give me traffic (and stop my predecessor). */
export interface ReadyMessage {
  /** Marks the message as lastcall's (`MESSAGE_TAG`). */
  readonly tag: typeof MESSAGE_TAG;
  /** What the message says: the worker is ready for traffic. */
  readonly type: 'ready';
}

/** Primary to worker: shut down through your coordinator (stop accepting, drain, disconnect, exit). */
export interface ShutdownMessage {
  /** Marks the message as lastcall's (`MESSAGE_TAG`). */
  readonly tag: typeof MESSAGE_TAG;
  /** What the message says: shut down through the coordinator. */
  readonly type: 'shutdown';
}

export const readyMessage: ReadyMessage = { tag: MESSAGE_TAG, type: 'ready' };
export const shutdownMessage: ShutdownMessage = { tag: MESSAGE_TAG, type: 'shutdown' };

/** What the primary makes of a worker's message: ours and valid, ours but malformed, or not ours. */
export type ParsedWorkerMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'invalid'; readonly why: string }
  | { readonly kind: 'foreign' };

/**
 * Classifies a message a worker sent. Never throws, whatever the worker sent: a worker runs
 * application code, and the primary must outlive any of its mistakes.
 */
export function parseWorkerMessage(message: unknown): ParsedWorkerMessage {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return { kind: 'foreign' };
  const record = message as Record<string, unknown>;
  if (record.tag !== MESSAGE_TAG) return { kind: 'foreign' };
  if (record.type === 'ready') return { kind: 'ready' };
  return {
    kind: 'invalid',
    why: `unknown type ${typeof record.type === 'string' ? `"${record.type}"` : typeof record.type}`,
  };
}

/** True when a message the primary sent is our shutdown request. */
export function isShutdownMessage(message: unknown): boolean {
  if (typeof message !== 'object' || message === null) return false;
  const record = message as Record<string, unknown>;
  return record.tag === MESSAGE_TAG && record.type === 'shutdown';
}
