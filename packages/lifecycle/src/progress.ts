// Progress lines for the coordinator's terminators, read from the core's diagnostics_channel events.
import diagnosticsChannel from 'node:diagnostics_channel';
import { CHANNELS, type TerminateMessage, type Terminator } from '@lastcall/core';
import type { Logger } from './logger.js';

type TerminateDrainMessage = Extract<TerminateMessage, { channel: 'drain' }>;
type TerminateForceMessage = Extract<TerminateMessage, { channel: 'force' }>;
type TerminateEndMessage = Extract<TerminateMessage, { channel: 'end' }>;
type TerminateDelayMessage = Extract<TerminateMessage, { channel: 'delay' }>;

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
const ms = (value: number): string => `${Math.round(value)} ms`;

/**
 * Subscribes to the core's drain, listener-delay, force and end events and logs those of `names`' terminators
 * (other coordinators' and bare terminators' events are not ours). Returns the unsubscribe.
 * `label` prefixes a line when there is more than one terminator, so the lines can be told apart.
 */
export function watchTerminators(names: ReadonlyMap<Terminator, string>, logger: Logger): () => void {
  const label = (terminator: Terminator): string => (names.size > 1 ? `${names.get(terminator)}: ` : '');
  const onDrain = (raw: unknown): void => {
    const message = raw as TerminateDrainMessage;
    if (!names.has(message.terminator)) return;
    logger.info(
      { event: 'drain', terminator: names.get(message.terminator), ...counts(message) },
      `${label(message.terminator)}draining ${plural(message.connections, 'connection')}, ${plural(message.inFlight, 'request')} in flight (grace ${ms(message.gracefulTimeout)})`,
    );
  };
  // A listener delay names servers, not its terminator: the terminator is the one that holds them.
  const onDelay = (raw: unknown): void => {
    const message = raw as TerminateDelayMessage;
    const terminator = [...names.keys()].find((t) => t.servers.some((server) => message.servers.includes(server)));
    if (terminator === undefined) return;
    const { outcome, duration, quietWait, accepted } = message;
    logger.info(
      { event: 'delay', terminator: names.get(terminator), outcome, duration, quietWait, accepted },
      `${label(terminator)}listener kept open ${ms(duration)}: the delay ended (${outcome}), then ${ms(quietWait)} until no client was connecting; ${plural(accepted, 'connection')} accepted meanwhile`,
    );
  };
  const onForce = (raw: unknown): void => {
    const message = raw as TerminateForceMessage;
    if (!names.has(message.terminator)) return;
    logger.warn(
      { event: 'force', terminator: names.get(message.terminator), connections: message.connections },
      `${label(message.terminator)}grace ran out after ${ms(message.elapsed)}: forcing ${plural(message.connections, 'connection')}`,
    );
  };
  const onEnd = (raw: unknown): void => {
    const { terminator, report } = raw as TerminateEndMessage;
    if (!names.has(terminator)) return;
    const { connections: c, requests: r } = report;
    logger.info(
      { event: 'closed', terminator: names.get(terminator), termination: report },
      `${label(terminator)}servers closed in ${ms(report.duration)}: ${plural(c.closedGracefully, 'connection')} closed gracefully, ${c.forced} forced; ${plural(r.completed, 'request')} completed, ${r.aborted} aborted`,
    );
  };
  diagnosticsChannel.subscribe(CHANNELS.drain, onDrain);
  diagnosticsChannel.subscribe(CHANNELS.delay, onDelay);
  diagnosticsChannel.subscribe(CHANNELS.force, onForce);
  diagnosticsChannel.subscribe(CHANNELS.end, onEnd);
  return () => {
    diagnosticsChannel.unsubscribe(CHANNELS.drain, onDrain);
    diagnosticsChannel.unsubscribe(CHANNELS.delay, onDelay);
    diagnosticsChannel.unsubscribe(CHANNELS.force, onForce);
    diagnosticsChannel.unsubscribe(CHANNELS.end, onEnd);
  };
}

function counts(message: TerminateDrainMessage): Record<string, number> {
  return { connections: message.connections, inFlight: message.inFlight, gracefulTimeoutMs: message.gracefulTimeout };
}
