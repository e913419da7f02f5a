// The shutdown in OpenTelemetry: spans for the shutdown, its phases and steps, from
// @lastcall/lifecycle's diagnostics channels; metrics from the terminators' reports (core's
// `lastcall:terminate:end`) and the steps' outcomes; and the SDK's flush as the last step.
import diagnosticsChannel from 'node:diagnostics_channel';
import {
  assertDuration,
  assertKnownOptions,
  CHANNELS,
  InvalidOptionTypeError,
  type TerminateMessage,
  type TerminationReport,
} from '@lastcall/core';
import {
  type Attributes,
  type Context,
  context,
  type Meter,
  metrics,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** The part of `@lastcall/lifecycle`'s `ShutdownCoordinator` this package uses: `task()`. */
export interface TelemetryCoordinator {
  /** Registers a named step in a phase at an order; returns the function that unregisters it. */
  task(
    name: string,
    run: () => unknown,
    options?: { phase?: 'beforeShutdown' | 'servers' | 'onShutdown'; order?: number; timeout?: number },
  ): () => void;
}

/** Options of `instrumentShutdown`; every one has a default. */
export interface ShutdownTelemetryOptions {
  /**
   * Ends the telemetry: the SDK's `shutdown()` (`() => sdk.shutdown()`), or a provider's
   * `forceFlush()`. Run as the shutdown's very last step, after every other step, so what they
   * recorded is exported. Leave the SDK's own signal handling off (the NodeSDK has none; do not
   * add the `process.on('SIGTERM', () => sdk.shutdown())` of its README): the coordinator owns
   * the signal. Defaults to none: spans and metrics are recorded, nothing is flushed.
   */
  flush?: () => unknown;
  /** The flush step's own bound, in milliseconds. Defaults to 5000 ms. */
  flushTimeout?: number;
  /** Where the spans go. Defaults to `trace.getTracer('@lastcall/otel')` (the global provider). */
  tracer?: Tracer;
  /** Where the metrics go. Defaults to `metrics.getMeter('@lastcall/otel')` (the global provider). */
  meter?: Meter;
}

const WHERE = 'instrumentShutdown';
const KNOWN = ['flush', 'flushTimeout', 'tracer', 'meter'] as const;
const DEFAULT_FLUSH_TIMEOUT = 5_000;
/** The flush runs after everything else in `onShutdown`, health's probe close included. */
const FLUSH_ORDER = Number.MAX_SAFE_INTEGER;
const FLUSH_STEP = 'telemetry flush';

// The messages of @lastcall/lifecycle's channels (docs/lifecycle.md), as far as they are read here.
interface StepIdentity {
  readonly name: string;
  readonly kind: string;
  readonly phase: string;
  readonly order: number;
}
interface StepEnd extends StepIdentity {
  readonly outcome: string;
  readonly error?: unknown;
  readonly termination?: TerminationReport;
}

/**
 * Follows every coordinated shutdown of this process in OpenTelemetry, and (with `flush`)
 * registers the SDK's flush as the coordinator's last step. Spans: `lastcall.shutdown` (the
 * whole shutdown), one `lastcall.shutdown.phase` per phase and one `lastcall.shutdown.step` per
 * hook, task or terminator, with outcome attributes and an error status when a step failed or
 * timed out. Metrics: see docs/otel.md. Spans still open when the flush starts (the shutdown, the
 * `onShutdown` phase, the flush step) end at that instant, so they are in the flush.
 * Returns the function that unsubscribes and unregisters everything.
 */
export function instrumentShutdown(
  coordinator: TelemetryCoordinator,
  options: ShutdownTelemetryOptions = {},
): () => void {
  const candidate = coordinator as Partial<TelemetryCoordinator> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.task !== 'function') {
    throw new InvalidOptionTypeError(WHERE, 'coordinator', 'a coordinator from createCoordinator()', coordinator);
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionTypeError(WHERE, 'options', 'an object', options);
  }
  assertKnownOptions(WHERE, options, KNOWN);
  if (options.flush !== undefined && typeof options.flush !== 'function') {
    throw new InvalidOptionTypeError(WHERE, 'flush', 'a function such as () => sdk.shutdown()', options.flush);
  }
  const flushTimeout = assertDuration(WHERE, 'flushTimeout', options.flushTimeout ?? DEFAULT_FLUSH_TIMEOUT, true);
  const tracer = options.tracer ?? trace.getTracer('@lastcall/otel');
  const meter = options.meter ?? metrics.getMeter('@lastcall/otel');

  const instruments = {
    shutdownDuration: meter.createHistogram('lastcall.shutdown.duration', {
      unit: 'ms',
      description: 'From the signal to the telemetry flush.',
    }),
    steps: meter.createCounter('lastcall.shutdown.steps', { description: 'Shutdown steps, by phase and outcome.' }),
    terminateDuration: meter.createHistogram('lastcall.terminate.duration', {
      unit: 'ms',
      description: "A terminator's drain, from terminate() to its report.",
    }),
    connections: meter.createCounter('lastcall.terminate.connections', {
      description: 'Connections a terminator ended, by how (graceful or forced).',
    }),
    requests: meter.createCounter('lastcall.terminate.requests', {
      description: 'Requests in flight or received during the drain, by how they ended (completed or aborted).',
    }),
  };

  let root: { span: Span; context: Context; started: number; reason: string } | undefined;
  const phases = new Map<string, { span: Span; context: Context }>();
  const steps = new Map<object, Span>();

  const endOpen = (why: string): void => {
    for (const span of steps.values()) {
      span.setAttribute('lastcall.ended_by', why);
      span.end();
    }
    steps.clear();
    for (const { span } of phases.values()) {
      span.setAttribute('lastcall.ended_by', why);
      span.end();
    }
    phases.clear();
    if (root) {
      root.span.setAttribute('lastcall.ended_by', why);
      root.span.end();
    }
  };

  const listeners: Record<string, (message: unknown) => void> = {
    'lastcall:shutdown:start': (message) => {
      const { reason, signal, deadline } = message as { reason: string; signal?: string; deadline: number };
      const attributes: Attributes = { 'lastcall.shutdown.reason': reason, 'lastcall.shutdown.deadline': deadline };
      if (signal !== undefined) attributes['lastcall.shutdown.signal'] = signal;
      // A root of its own: the shutdown is not part of whatever request happened to be active.
      const span = tracer.startSpan('lastcall.shutdown', { root: true, attributes });
      root = { span, context: trace.setSpan(context.active(), span), started: performance.now(), reason };
    },
    'lastcall:shutdown:phase:start': (message) => {
      if (!root) return;
      const { phase } = message as { phase: string };
      const span = tracer.startSpan(
        'lastcall.shutdown.phase',
        { attributes: { 'lastcall.phase': phase } },
        root.context,
      );
      phases.set(phase, { span, context: trace.setSpan(root.context, span) });
    },
    'lastcall:shutdown:phase:end': (message) => {
      const { report } = message as { report: { phase: string; steps: readonly { outcome: string }[] } };
      const open = phases.get(report.phase);
      if (!open) return;
      phases.delete(report.phase);
      const notOk = report.steps.filter((step) => step.outcome !== 'ok').length;
      open.span.setAttributes({ 'lastcall.phase.steps': report.steps.length, 'lastcall.phase.not_ok': notOk });
      open.span.end();
    },
    'lastcall:shutdown:step:start': (message) => {
      const { id, name, kind, phase, order } = message as StepIdentity & { id: object };
      const parent = phases.get(phase)?.context ?? root?.context;
      if (!parent) return;
      const span = tracer.startSpan(
        'lastcall.shutdown.step',
        {
          attributes: {
            'lastcall.step.name': name,
            'lastcall.step.kind': kind,
            'lastcall.phase': phase,
            'lastcall.step.order': order,
          },
        },
        parent,
      );
      steps.set(id, span);
    },
    'lastcall:shutdown:step:end': (message) => {
      const { id, report } = message as { id: object; report: StepEnd };
      instruments.steps.add(1, { 'lastcall.phase': report.phase, 'lastcall.step.outcome': report.outcome });
      const span = steps.get(id);
      if (!span) return;
      steps.delete(id);
      span.setAttribute('lastcall.step.outcome', report.outcome);
      const termination = report.termination;
      if (termination) {
        span.setAttributes({
          'lastcall.connections.forced': termination.connections.forced,
          'lastcall.connections.closed_gracefully': termination.connections.closedGracefully,
          'lastcall.requests.completed': termination.requests.completed,
          'lastcall.requests.aborted': termination.requests.aborted,
          'lastcall.timed_out': termination.timedOut,
        });
      }
      if (report.outcome !== 'ok' && report.outcome !== 'skipped') {
        const text = report.error instanceof Error ? report.error.message : report.outcome;
        span.setStatus({ code: SpanStatusCode.ERROR, message: text });
      }
      span.end();
    },
    'lastcall:shutdown:end': () => {
      // Without a flush step (no `flush` option) the spans end with the shutdown.
      endOpen('shutdown end');
      root = undefined;
    },
    [CHANNELS.end]: (message) => {
      const terminate = message as TerminateMessage;
      if (terminate.channel !== 'end') return;
      const { report } = terminate;
      instruments.terminateDuration.record(report.duration, { 'lastcall.timed_out': report.timedOut });
      instruments.connections.add(report.connections.closedGracefully, { 'lastcall.how': 'graceful' });
      instruments.connections.add(report.connections.forced, { 'lastcall.how': 'forced' });
      instruments.requests.add(report.requests.completed, { 'lastcall.how': 'completed' });
      instruments.requests.add(report.requests.aborted, { 'lastcall.how': 'aborted' });
    },
  };
  for (const [name, listener] of Object.entries(listeners)) diagnosticsChannel.subscribe(name, listener);

  const flush = options.flush;
  const unregister = flush
    ? coordinator.task(
        FLUSH_STEP,
        async () => {
          if (root)
            instruments.shutdownDuration.record(performance.now() - root.started, {
              'lastcall.shutdown.reason': root.reason,
            });
          endOpen('telemetry flush');
          root = undefined;
          await flush();
        },
        { phase: 'onShutdown', order: FLUSH_ORDER, timeout: flushTimeout },
      )
    : () => undefined;

  return () => {
    unregister();
    for (const [name, listener] of Object.entries(listeners)) diagnosticsChannel.unsubscribe(name, listener);
  };
}
