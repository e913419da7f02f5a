// WebSocket: placeholder until @lastcall/ws exists (see the report).
import type { WebSocketParams, WebSocketRun } from '../results.js';

export async function runWebSocket(_adapterId: string, _params: WebSocketParams, _sink: WebSocketRun[]): Promise<void> {
  throw new Error('the WebSocket scenario is not built yet');
}
