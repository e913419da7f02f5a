// The in-flight setup shared by the overshoot and HTTP/2 scenarios: a server whose handler
// answers after the delay the request names, four requests from the clients process (one per
// connection or session), terminate() 5 ms after the last one arrived, and the timeline.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { Attached, BenchServer } from '../adapters/types.js';
import type { Clients } from '../lib/helpers.js';
import { listen, now, sleep, within } from '../lib/net.js';
import { timeTerminate } from '../lib/terminate.js';

/** Each in-flight request's handler time, in ms: they end one after another after terminate(). */
export const DELAYS_MS = [20, 30, 40, 50] as const;
/** terminate() is called this long after the last request arrived. */
const TERMINATE_AFTER_MS = 5;

export interface InflightOutcome {
  readonly completed: number;
  readonly goaways: number;
  readonly resolved: boolean;
  readonly terminateMs: number;
  /** Last response's `finish` (server side) to terminate() resolving, in ms; NaN if none finished. */
  readonly afterLastMs: number;
  readonly error: string | undefined;
}

export async function inflightRun(
  h2: boolean,
  clients: Clients,
  gracefulTimeoutMs: number,
  attach: (server: BenchServer) => Attached,
): Promise<InflightOutcome> {
  const finishes: number[] = [];
  let arrived = 0;
  let allArrived: () => void = () => undefined;
  const arrival = new Promise<void>((resolve) => {
    allArrived = resolve;
  });
  const handler = (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    res: http.ServerResponse | http2.Http2ServerResponse,
  ): void => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
    if (++arrived === DELAYS_MS.length) allArrived();
    setTimeout(() => {
      res.on('finish', () => finishes.push(now()));
      res.end('done');
    }, ms);
  };
  // HTTP/2 through the compatibility API, as frameworks use it: peers that listen to `request`
  // see these streams too.
  const server: BenchServer = h2 ? http2.createServer(handler) : http.createServer(handler);
  let error: string | undefined;
  let attached: Attached | undefined;
  try {
    attached = attach(server);
  } catch (caught) {
    error = `attach threw: ${caught instanceof Error ? caught.message : String(caught)}`;
  }
  const port = await listen(server);
  const done = clients.next('inflight-done', 20_000);
  clients.send({ type: 'inflight', port, delaysMs: DELAYS_MS, h2 });
  await within(arrival, 5_000);
  await sleep(TERMINATE_AFTER_MS);

  // A library still waiting a second past its own deadline is recorded as unresolved.
  const timed = await timeTerminate(attached, gracefulTimeoutMs + 1_000);
  if (timed.error !== undefined) error = timed.error;
  const { resolved, terminateMs } = timed;
  const outcome = await done.catch(() => ({ completed: 0, goaways: 0 }));
  clients.release();
  (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  server.close();
  await attached?.settle?.();
  const lastFinish = finishes.length > 0 ? Math.max(...finishes) : Number.NaN;
  return {
    completed: outcome.completed,
    goaways: outcome.goaways,
    resolved,
    terminateMs,
    afterLastMs: resolved ? timed.end - lastFinish : Number.NaN,
    error,
  };
}
