// @lastcall/otel against the real SDK pieces (in-memory exporters): a real server with a request
// that never ends, a real coordinator; the spans and metrics that reach the exporters, and the
// flush running after every other step.
import * as http from 'node:http';
import { createTerminator } from '@lastcall/core';
import { createCoordinator } from '@lastcall/lifecycle';
import { instrumentShutdown } from '@lastcall/otel';
import { startHttp1, within } from '@lastcall/test-kit';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

function telemetry() {
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: only the flush exports, as at the end of a process.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    spanExporter,
    metricExporter,
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
    flush: async () => {
      await tracerProvider.forceFlush();
      await meterProvider.forceFlush();
    },
    close: async () => {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

function metricPoints(exporter: InMemoryMetricExporter, name: string) {
  const points: Array<{ attributes: Record<string, unknown>; value: unknown }> = [];
  for (const resource of exporter.getMetrics()) {
    for (const scope of resource.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== name) continue;
        for (const point of metric.dataPoints) points.push({ attributes: point.attributes, value: point.value });
      }
    }
  }
  return points;
}

test('phases and steps become spans, reports become metrics, and the flush runs last', async () => {
  const otel = telemetry();
  const { server, port } = await startHttp1('http', () => undefined); // never answers: forced at 200 ms
  const coordinator = createCoordinator({ signals: [], exit: false, logger: false });
  const order: string[] = [];
  let spansAtFlush: string[] = [];
  try {
    coordinator.add(createTerminator({ server, gracefulTimeout: 200 }), { name: 'http' });
    coordinator.task(
      'pool',
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push('pool');
      },
      { order: 1 },
    );
    instrumentShutdown(coordinator, {
      tracer: otel.tracer,
      meter: otel.meter,
      flush: async () => {
        order.push('flush');
        await otel.flush();
        spansAtFlush = otel.spanExporter.getFinishedSpans().map((span) => span.name);
      },
    });
    const request = http.get({ host: '127.0.0.1', port, agent: false });
    request.on('error', () => undefined);
    await within(new Promise((resolve) => server.once('request', resolve)), 5_000, 'the request to arrive');

    const report = await within(coordinator.shutdown(), 10_000, 'the shutdown');
    expect(order).toEqual(['pool', 'flush']);
    const flushStep = report.phases.flatMap((phase) => phase.steps).find((step) => step.name === 'telemetry flush');
    expect(flushStep?.outcome).toBe('ok');

    // Everything reached the exporter by the time the flush ran: the shutdown span included.
    const spans = otel.spanExporter.getFinishedSpans();
    expect(spansAtFlush).toContain('lastcall.shutdown');
    const root = spans.find((span) => span.name === 'lastcall.shutdown');
    expect(root?.attributes['lastcall.shutdown.reason']).toBe('manual');
    const phases = spans.filter((span) => span.name === 'lastcall.shutdown.phase');
    expect(phases.map((span) => span.attributes['lastcall.phase'])).toEqual([
      'beforeShutdown',
      'servers',
      'onShutdown',
    ]);
    for (const phase of phases) expect(phase.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
    const steps = spans.filter((span) => span.name === 'lastcall.shutdown.step');
    const http1 = steps.find((span) => span.attributes['lastcall.step.name'] === 'http');
    expect(http1?.attributes).toMatchObject({
      'lastcall.step.outcome': 'timed-out',
      'lastcall.connections.forced': 1,
      'lastcall.requests.aborted': 1,
    });
    expect(http1?.status.code).toBe(2); // SpanStatusCode.ERROR
    const servers = phases.find((span) => span.attributes['lastcall.phase'] === 'servers');
    expect(http1?.parentSpanContext?.spanId).toBe(servers?.spanContext().spanId);
    expect(
      steps.find((span) => span.attributes['lastcall.step.name'] === 'pool')?.attributes['lastcall.step.outcome'],
    ).toBe('ok');

    expect(metricPoints(otel.metricExporter, 'lastcall.terminate.connections')).toContainEqual({
      attributes: { 'lastcall.how': 'forced' },
      value: 1,
    });
    expect(metricPoints(otel.metricExporter, 'lastcall.terminate.requests')).toContainEqual({
      attributes: { 'lastcall.how': 'aborted' },
      value: 1,
    });
    expect(metricPoints(otel.metricExporter, 'lastcall.shutdown.steps')).toContainEqual({
      attributes: { 'lastcall.phase': 'servers', 'lastcall.step.outcome': 'timed-out' },
      value: 1,
    });
    const durations = metricPoints(otel.metricExporter, 'lastcall.shutdown.duration');
    expect(durations).toHaveLength(1);
    const duration = durations[0]?.value as { count: number; sum: number } | undefined;
    expect(duration?.count).toBe(1);
    expect(duration?.sum).toBeGreaterThanOrEqual(200);
  } finally {
    coordinator.dispose();
    server.closeAllConnections();
    await otel.close();
  }
});

test('a flush that hangs is cut at flushTimeout and named in the report', async () => {
  const coordinator = createCoordinator({ signals: [], exit: false, logger: false });
  try {
    instrumentShutdown(coordinator, { flush: () => new Promise(() => undefined), flushTimeout: 100 });
    const report = await within(coordinator.shutdown(), 5_000, 'the shutdown');
    const flushStep = report.phases.flatMap((phase) => phase.steps).find((step) => step.name === 'telemetry flush');
    expect(flushStep?.outcome).toBe('timed-out');
    expect(report.exitCode).toBe(1);
  } finally {
    coordinator.dispose();
  }
});

test('bad input is a clear error naming the option', () => {
  const coordinator = createCoordinator({ signals: [], exit: false, logger: false });
  try {
    expect(() => instrumentShutdown(coordinator, { flushTimeout: -1 })).toThrow(/flushTimeout/);
    expect(() => instrumentShutdown(coordinator, { flushTimout: 100 } as never)).toThrow(/flushTimeout/);
    expect(() => instrumentShutdown(coordinator, { flush: 'sdk' as never })).toThrow(/flush/);
    expect(() => instrumentShutdown({} as never)).toThrow(/coordinator/);
  } finally {
    coordinator.dispose();
  }
});

test('unsubscribing stops the spans', async () => {
  const otel = telemetry();
  const coordinator = createCoordinator({ signals: [], exit: false, logger: false });
  try {
    const undo = instrumentShutdown(coordinator, { tracer: otel.tracer, meter: otel.meter });
    undo();
    await within(coordinator.shutdown(), 5_000, 'the shutdown');
    expect(otel.spanExporter.getFinishedSpans()).toEqual([]);
  } finally {
    coordinator.dispose();
    await otel.close();
  }
});
