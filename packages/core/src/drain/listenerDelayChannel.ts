// The listener delay's diagnostics_channel event: how long the listener stayed open and why the
// delay ended, for @lastcall/lifecycle's log and any APM. Costs nothing while nobody subscribes.
import diagnosticsChannel from 'node:diagnostics_channel';
import { CHANNELS } from '../diagnostics.js';
import type { ServerLike } from '../types.js';

/** Published on `CHANNELS.delay` when a listener delay (`ListenerDelayDrain` and the drains built on it) closes the listener. */
export interface TerminateDelayMessage {
  /** Which channel published it: `delay`. */
  readonly channel: 'delay';
  /** The servers whose listener closed (the terminator's `servers`). */
  readonly servers: readonly ServerLike[];
  /** Why the delay ended (`ListenerDelayDrain.outcome`: `delay`, `acknowledged`, `maxDelay`, `deadline`...). */
  readonly outcome: string;
  /** How long the listener stayed open after the drain began, in milliseconds. */
  readonly duration: number;
  /** Of that, the wait after the delay's end for the accept queue to be quiet, in milliseconds. */
  readonly quietWait: number;
  /** Connections accepted while the listener was kept open. */
  readonly accepted: number;
  /** Whether responses during the delay said `Connection: close`. */
  readonly closeConnections: boolean;
}

// Held at module level: channel objects are weakly referenced by Node < 22 until subscribed.
const channel = diagnosticsChannel.channel(CHANNELS.delay);

export function publishDelay(message: Omit<TerminateDelayMessage, 'channel'>): void {
  if (channel.hasSubscribers) channel.publish({ channel: 'delay', ...message } satisfies TerminateDelayMessage);
}
