// WebSocket: an HTTP server with a `ws` WebSocketServer and idle clients (in the clients helper
// process), then terminate(). Which close code does each client see, and how long after the
// last connection's close (server side) does terminate() resolve? lastcall runs with
// @lastcall/ws's WebSocketDrain; the peers get the HTTP server as they would in an app.
import * as http from 'node:http';
import { WebSocketServer } from 'ws';
import { adapterById } from '../adapters/index.js';
import type { Attached } from '../adapters/types.js';
import { Clients } from '../lib/helpers.js';
import { listen, now, within } from '../lib/net.js';
import { timeTerminate } from '../lib/terminate.js';
import type { WebSocketParams, WebSocketRun } from '../results.js';

export async function runWebSocket(adapterId: string, params: WebSocketParams, sink: WebSocketRun[]): Promise<void> {
  const clients = new Clients();
  try {
    for (let run = 0; run < params.runs; run++) sink.push(await once(adapterId, params, clients));
  } finally {
    clients.stop();
  }
}

async function once(adapterId: string, params: WebSocketParams, clients: Clients): Promise<WebSocketRun> {
  const server = http.createServer((_req, res) => res.end('ok'));
  const webSocketServer = new WebSocketServer({ server });
  const closes: number[] = [];
  webSocketServer.on('connection', (socket) => {
    socket.on('error', () => undefined);
    socket.on('close', () => closes.push(now()));
  });
  let error: string | undefined;
  let attached: Attached | undefined;
  try {
    attached = adapterById(adapterId).attach(server, { gracefulTimeoutMs: params.gracefulTimeoutMs, webSocketServer });
  } catch (caught) {
    error = `attach threw: ${caught instanceof Error ? caught.message : String(caught)}`;
  }
  const port = await listen(server);
  const opened = clients.next('ws-open', 15_000);
  const closed = clients.next('ws-closed', params.gracefulTimeoutMs + 20_000);
  clients.send({ type: 'ws', port, clients: params.clients });
  const { opened: open } = await opened;
  if (open !== params.clients) throw new Error(`only ${open} of ${params.clients} WebSocket clients opened`);

  // A library still waiting a second past its own deadline is recorded as unresolved.
  const timed = await timeTerminate(attached, params.gracefulTimeoutMs + 1_000);
  if (timed.error !== undefined) error = timed.error;
  const { resolved, terminateMs } = timed;
  // Clients the library left open are ended here (they then report 1006).
  if ((await within(closed, 2_000)) === 'timeout') clients.release();
  const { codes } = await closed;
  clients.release();
  webSocketServer.close();
  server.closeAllConnections();
  server.close();
  await attached?.settle?.();
  const lastClose = closes.length > 0 ? Math.max(...closes) : Number.NaN;
  return {
    clients: params.clients,
    codes,
    resolved,
    terminateMs,
    afterLastCloseMs: resolved ? timed.end - lastClose : Number.NaN,
    error,
  };
}
