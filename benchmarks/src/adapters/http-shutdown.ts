// http-shutdown: destroys idle sockets and each busy one when its response finishes; no timeout.
import withShutdown from 'http-shutdown';
import { type Adapter, asHttp1 } from './types.js';

export const httpShutdownAdapter: Adapter = {
  id: 'http-shutdown',
  label: 'http-shutdown',
  pkg: 'http-shutdown',
  lastcall: false,
  attach(server) {
    const shutdownServer = withShutdown(asHttp1(server));
    return {
      terminate: () => new Promise<void>((resolve) => shutdownServer.shutdown(() => resolve())),
    };
  },
};
