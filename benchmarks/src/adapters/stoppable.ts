// stoppable: counts requests per socket, ends idle ones, destroys all after its grace.
import stoppable from 'stoppable';
import { type Adapter, asHttp1 } from './types.js';

export const stoppableAdapter: Adapter = {
  id: 'stoppable',
  label: 'stoppable',
  pkg: 'stoppable',
  lastcall: false,
  attach(server, { gracefulTimeoutMs }) {
    const stoppableServer = stoppable(asHttp1(server), gracefulTimeoutMs);
    return {
      terminate: () => new Promise<void>((resolve) => stoppableServer.stop(() => resolve())),
    };
  },
};
