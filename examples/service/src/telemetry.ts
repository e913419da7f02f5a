// OpenTelemetry, started before anything else is loaded: `node --import ./src/telemetry.ts src/main.ts`
// (the http instrumentation must be in place before express loads node:http). Traces go over
// OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318). The SDK registers no
// signal handler here: its shutdown (the final flush) is the last step of our ordered shutdown.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';

const PROBES = new Set(['/livez', '/readyz', '/healthz']);

export const sdk = new NodeSDK({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'lastcall-example-service',
  traceExporter: new OTLPTraceExporter(),
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
