// diagnostics_channel events of a coordinated shutdown: phases and steps as they start and end, so
// telemetry (@lastcall/otel, any APM) follows the shutdown without a reference to the coordinator.
// Publishing builds nothing while nobody subscribes. The names are documented in docs/lifecycle.md.
import diagnosticsChannel from 'node:diagnostics_channel';
import type { Phase } from './phases.js';
import type { PhaseReport, ShutdownReason, ShutdownReport, StepReport } from './report.js';

// Held at module level: channel objects are weakly referenced by Node < 22 until subscribed.
const start = diagnosticsChannel.channel('lastcall:shutdown:start');
const phaseStart = diagnosticsChannel.channel('lastcall:shutdown:phase:start');
const phaseEnd = diagnosticsChannel.channel('lastcall:shutdown:phase:end');
const stepStart = diagnosticsChannel.channel('lastcall:shutdown:step:start');
const stepEnd = diagnosticsChannel.channel('lastcall:shutdown:step:end');
const end = diagnosticsChannel.channel('lastcall:shutdown:end');

export function publishShutdownStart(
  reason: ShutdownReason,
  signal: NodeJS.Signals | undefined,
  deadline: number,
): void {
  if (start.hasSubscribers) start.publish({ reason, signal, deadline });
}

export function publishPhaseStart(phase: Phase): void {
  if (phaseStart.hasSubscribers) phaseStart.publish({ phase });
}

export function publishPhaseEnd(report: PhaseReport): void {
  if (phaseEnd.hasSubscribers) phaseEnd.publish({ report });
}

/** `id` ties a step's start to its end (two steps may share a name). */
export function publishStepStart(id: object, step: Pick<StepReport, 'name' | 'kind' | 'phase' | 'order'>): void {
  if (stepStart.hasSubscribers) stepStart.publish({ id, ...step });
}

export function publishStepEnd(id: object, report: StepReport): void {
  if (stepEnd.hasSubscribers) stepEnd.publish({ id, report });
}

export function publishShutdownEnd(report: ShutdownReport): void {
  if (end.hasSubscribers) end.publish({ report });
}
