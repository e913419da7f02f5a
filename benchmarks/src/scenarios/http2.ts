// HTTP/2 (h2c): four client sessions, each with one stream in flight, then terminate(). Does
// every session get GOAWAY, do the in-flight streams complete, and how long after the last
// stream does terminate() resolve? Peers built for HTTP/1 are handed the h2c server as is.
import { adapterById } from '../adapters/index.js';
import { Clients } from '../lib/helpers.js';
import type { Http2Params, Http2Run } from '../results.js';
import { DELAYS_MS, inflightRun } from './inflight.js';

export async function runHttp2(adapterId: string, params: Http2Params, sink: Http2Run[]): Promise<void> {
  const adapter = adapterById(adapterId);
  const clients = new Clients();
  try {
    for (let run = 0; run < params.runs; run++) {
      const outcome = await inflightRun(true, clients, params.gracefulTimeoutMs, (server) =>
        adapter.attach(server, { gracefulTimeoutMs: params.gracefulTimeoutMs }),
      );
      sink.push({
        first: run === 0,
        sessions: DELAYS_MS.length,
        goaways: outcome.goaways,
        streams: DELAYS_MS.length,
        streamsCompleted: outcome.completed,
        resolved: outcome.resolved,
        terminateMs: outcome.terminateMs,
        afterLastStreamMs: outcome.afterLastMs,
        error: outcome.error,
      });
    }
  } finally {
    clients.stop();
  }
}
