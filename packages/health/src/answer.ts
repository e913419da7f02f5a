// How the probes answer over HTTP: the status, never anything taken from the request, a JSON body
// only when detail was asked for. Shared by the three probe handlers and the probe server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadinessResult } from './state.js';

export function writeAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  result: ReadinessResult,
  detail: boolean,
): void {
  if (res.headersSent || res.writableEnded) return;
  const body = detail
    ? `${JSON.stringify({ status: status === 200 ? 'ok' : 'unavailable', state: result.state, checks: result.checks })}\n`
    : '';
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  if (detail) res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function writeNotFound(res: ServerResponse): void {
  if (res.headersSent || res.writableEnded) return;
  res.statusCode = 404;
  res.setHeader('Content-Length', 0);
  res.end();
}
