// OpenTelemetry, started before anything else is loaded: `node --import ./src/telemetry.ts src/main.ts`
// (the http instrumentation must be in place before express loads node:http). Traces and metrics
// go over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318). No signal
// handler here: the SDK's shutdown (the final flush) is the last step of our ordered shutdown
// (instrumentShutdown in src/shutdown.ts).
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';

const PROBES = new Set(['/livez', '/readyz', '/healthz']);

export const sdk = new NodeSDK({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'lastcall-example-service',
  traceExporter: new OTLPTraceExporter(),
  // The shutdown's own metrics (@lastcall/otel) are exported by the SDK's shutdown at the end.
  metricReaders: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() })],
  instrumentations: [
    new HttpInstrumentation({
      // Probes every few seconds would be most of the traces: leave them out.
      ignoreIncomingRequestHook: (request) => PROBES.has(request.url ?? ''),
      // The caller's request id on the server span: what ties a client's answer to its trace.
      headersToSpanAttributes: { server: { requestHeaders: ['x-request-id'] } },
    }),
  ],
});
sdk.start();
