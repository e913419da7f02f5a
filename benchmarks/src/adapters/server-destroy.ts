// server-destroy: closes the listener and destroys every socket at once; not graceful by design.
import enableDestroy from 'server-destroy';
import { type Adapter, asHttp1 } from './types.js';

export const serverDestroyAdapter: Adapter = {
  id: 'server-destroy',
  label: 'server-destroy',
  pkg: 'server-destroy',
  lastcall: false,
  attach(server) {
    const httpServer = asHttp1(server);
    enableDestroy(httpServer);
    return {
      terminate: () => new Promise<void>((resolve) => httpServer.destroy(() => resolve())),
    };
  },
};
