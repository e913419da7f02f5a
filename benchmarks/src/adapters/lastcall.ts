// lastcall itself: createTerminator with the default KeepAliveDrain, or with its idle grace set;
// with a WebSocket server, combined with @lastcall/ws's WebSocketDrain, as a user with WebSockets would.
import { createTerminator, KeepAliveDrain } from '@lastcall/core';
import { WebSocketDrain } from '@lastcall/ws';
import type { Adapter } from './types.js';

/** lastcall as a user gets it; `idleGrace` set only where a scenario compares the grace. */
export function lastcallAdapter(idleGrace?: number): Adapter {
  const custom = idleGrace !== undefined;
  return {
    id: custom ? `lastcall-grace${idleGrace}` : 'lastcall',
    label: custom ? `lastcall (idleGrace ${idleGrace})` : 'lastcall',
    pkg: '@lastcall/core',
    lastcall: true,
    attach(server, { gracefulTimeoutMs, webSocketServer }) {
      const grace = custom ? { idleGrace } : {};
      const http = custom ? new KeepAliveDrain(grace) : undefined;
      const drain = webSocketServer
        ? [http ?? new KeepAliveDrain(), new WebSocketDrain({ webSocketServers: webSocketServer })]
        : http;
      const terminator = createTerminator({
        server,
        gracefulTimeout: gracefulTimeoutMs,
        ...(drain ? { drain } : {}),
      });
      return {
        async terminate() {
          await terminator.terminate();
        },
      };
    },
  };
}
