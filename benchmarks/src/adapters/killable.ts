// killable: closes the listener and destroys every socket at once; not graceful by design.
import makeKillable from 'killable';
import { type Adapter, asHttp1 } from './types.js';

export const killableAdapter: Adapter = {
  id: 'killable',
  label: 'killable',
  pkg: 'killable',
  lastcall: false,
  attach(server) {
    const killableServer = makeKillable(asHttp1(server));
    return {
      terminate: () => new Promise<void>((resolve) => killableServer.kill(() => resolve())),
    };
  },
};
