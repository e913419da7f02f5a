// Every library under test, in page order: lastcall first, Node's own close as the baseline, then the peers.

import { FIXED_DELAY_MS } from '../lib/rolling.js';
import { httpGracefulShutdownAdapter } from './http-graceful-shutdown.js';
import { httpShutdownAdapter } from './http-shutdown.js';
import { httpTerminatorAdapter } from './http-terminator.js';
import { killableAdapter } from './killable.js';
import { lastcallAdapter } from './lastcall.js';
import { lightshipAdapter } from './lightship.js';
import { lilHttpTerminatorAdapter } from './lil-http-terminator.js';
import { moebiusAdapter } from './moebius.js';
import { nodeCloseAdapter } from './node-close.js';
import { rawDestroyAdapter } from './raw-destroy.js';
import { serverDestroyAdapter } from './server-destroy.js';
import { stoppableAdapter } from './stoppable.js';
import { terminusAdapter, terminusAdapterWith } from './terminus.js';
import type { Adapter } from './types.js';

/** lastcall as shipped (idle grace 100 ms). */
export const LASTCALL = lastcallAdapter();
/** lastcall with the idle grace off: the idle-close target's configuration. */
export const LASTCALL_GRACE0 = lastcallAdapter(0);

/** The peers and the baseline, each measured in every scenario. */
export const PEERS: readonly Adapter[] = [
  nodeCloseAdapter,
  httpTerminatorAdapter,
  lilHttpTerminatorAdapter,
  stoppableAdapter,
  terminusAdapter,
  httpGracefulShutdownAdapter,
  httpShutdownAdapter,
  moebiusAdapter,
  serverDestroyAdapter,
  killableAdapter,
];

/**
 * Measured by the rolling-restart scenario only, where a fixed delay before the listener closes is
 * what a balancer needs: terminus with its `beforeShutdown`, and lightship (whose shutdown always delays).
 */
export const TERMINUS_DELAY = terminusAdapterWith(FIXED_DELAY_MS);
export const DELAY_PEERS: readonly Adapter[] = [TERMINUS_DELAY, lightshipAdapter];

const ALL: readonly Adapter[] = [LASTCALL, LASTCALL_GRACE0, ...PEERS, ...DELAY_PEERS, rawDestroyAdapter];

export function adapterById(id: string): Adapter {
  const adapter = ALL.find((candidate) => candidate.id === id);
  if (adapter === undefined) throw new RangeError(`unknown adapter "${id}"; known: ${ALL.map((a) => a.id).join(', ')}`);
  return adapter;
}

export { rawDestroyAdapter };
