// Every library under test, in page order: lastcall first, Node's own close as the baseline, then the peers.
import { httpGracefulShutdownAdapter } from './http-graceful-shutdown.js';
import { httpShutdownAdapter } from './http-shutdown.js';
import { httpTerminatorAdapter } from './http-terminator.js';
import { killableAdapter } from './killable.js';
import { lastcallAdapter } from './lastcall.js';
import { lilHttpTerminatorAdapter } from './lil-http-terminator.js';
import { moebiusAdapter } from './moebius.js';
import { nodeCloseAdapter } from './node-close.js';
import { rawDestroyAdapter } from './raw-destroy.js';
import { serverDestroyAdapter } from './server-destroy.js';
import { stoppableAdapter } from './stoppable.js';
import { terminusAdapter } from './terminus.js';
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

const ALL: readonly Adapter[] = [LASTCALL, LASTCALL_GRACE0, ...PEERS, rawDestroyAdapter];

export function adapterById(id: string): Adapter {
  const adapter = ALL.find((candidate) => candidate.id === id);
  if (adapter === undefined) throw new RangeError(`unknown adapter "${id}"; known: ${ALL.map((a) => a.id).join(', ')}`);
  return adapter;
}

export { rawDestroyAdapter };
