// A small OTLP/HTTP receiver: what the OTLP/HTTP JSON exporters (@opentelemetry/exporter-trace-otlp-http,
// exporter-metrics-otlp-http) send to /v1/traces and /v1/metrics, decoded into spans and metric
// names. `pnpm dev` runs one so the service's telemetry lands somewhere; the end-to-end test counts
// what arrived.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** One span as received: its name, kind and attributes flattened to strings. */
export interface ReceivedSpan {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface OtlpReceiver {
  /** The endpoint to give the exporter as OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  /** Every span received so far, in arrival order. */
  readonly spans: readonly ReceivedSpan[];
  /** The name of every metric received so far (once per export that carried it). */
  readonly metrics: readonly string[];
  /** Export requests received, and how many of them could not be decoded. */
  readonly requests: { received: number; undecodable: number };
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
}

interface ExportMetricsServiceRequest {
  resourceMetrics?: Array<{ scopeMetrics?: Array<{ metrics?: Array<{ name: string }> }> }>;
}

interface ExportTraceServiceRequest {
  resourceSpans?: Array<{
    scopeSpans?: Array<{
      spans?: Array<{
        name: string;
        traceId: string;
        spanId: string;
        kind?: number;
        attributes?: Array<{ key: string; value: AnyValue }>;
      }>;
    }>;
  }>;
}

function flatten(value: AnyValue): string {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return String(value.intValue);
  if (value.doubleValue !== undefined) return String(value.doubleValue);
  if (value.boolValue !== undefined) return String(value.boolValue);
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(flatten).join(',');
  return '';
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startOtlpReceiver(
  port = 0,
  onSpans?: (spans: readonly ReceivedSpan[]) => void,
): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const metrics: string[] = [];
  const requests = { received: 0, undecodable: 0 };
  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'POST' || (req.url !== '/v1/traces' && req.url !== '/v1/metrics')) {
      res.writeHead(404).end();
      return;
    }
    requests.received++;
    try {
      let body = await readBody(req);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      if (!String(req.headers['content-type']).startsWith('application/json')) {
        // The protobuf exporter (exporter-trace-otlp-proto) is not decoded here: say so to the sender.
        requests.undecodable++;
        res.writeHead(415).end();
        return;
      }
      if (req.url === '/v1/metrics') {
        const decoded = JSON.parse(body.toString('utf8')) as ExportMetricsServiceRequest;
        for (const resource of decoded.resourceMetrics ?? []) {
          for (const scope of resource.scopeMetrics ?? [])
            for (const metric of scope.metrics ?? []) metrics.push(metric.name);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      const decoded = JSON.parse(body.toString('utf8')) as ExportTraceServiceRequest;
      const batch: ReceivedSpan[] = [];
      for (const resource of decoded.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            const attributes: Record<string, string> = {};
            for (const { key, value } of span.attributes ?? []) attributes[key] = flatten(value);
            batch.push({
              name: span.name,
              traceId: span.traceId,
              spanId: span.spanId,
              kind: span.kind ?? 0,
              attributes,
            });
          }
        }
      }
      spans.push(...batch);
      onSpans?.(batch);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } catch {
      requests.undecodable++;
      res.writeHead(400).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    endpoint: `http://127.0.0.1:${actual}`,
    spans,
    metrics,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
