// The listener delay's diagnostics_channel event: how long the listener stayed open and why the
// delay ended, for @lastcall/lifecycle's log and any APM. Costs nothing while nobody subscribes.
import diagnosticsChannel from 'node:diagnostics_channel';
import { CHANNELS, type TerminateMessage } from '../diagnostics.js';

type TerminateDelayMessage = Extract<TerminateMessage, { channel: 'delay' }>;

// Held at module level: channel objects are weakly referenced by Node < 22 until subscribed.
const channel = diagnosticsChannel.channel(CHANNELS.delay);

export function publishDelay(message: Omit<TerminateDelayMessage, 'channel'>): void {
  if (channel.hasSubscribers) channel.publish({ channel: 'delay', ...message } satisfies TerminateDelayMessage);
}
