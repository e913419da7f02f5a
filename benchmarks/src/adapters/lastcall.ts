// lastcall itself: createTerminator with the default KeepAliveDrain, or with its idle grace set.
import { createTerminator, KeepAliveDrain } from '@lastcall/core';
import type { Adapter } from './types.js';

/** lastcall as a user gets it; `idleGraceMs` set only where a scenario compares the grace. */
export function lastcallAdapter(idleGraceMs?: number): Adapter {
  const custom = idleGraceMs !== undefined;
  return {
    id: custom ? `lastcall-grace${idleGraceMs}` : 'lastcall',
    label: custom ? `lastcall (idleGraceMs ${idleGraceMs})` : 'lastcall',
    pkg: '@lastcall/core',
    lastcall: true,
    attach(server, { gracefulTimeoutMs }) {
      const terminator = createTerminator({
        server,
        gracefulTimeout: gracefulTimeoutMs,
        ...(custom ? { drain: new KeepAliveDrain({ idleGraceMs }) } : {}),
      });
      return {
        async terminate() {
          await terminator.terminate();
        },
      };
    },
  };
}
