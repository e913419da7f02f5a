// The baseline: Node's own server.close() (which closes idle keep-alive connections itself since
// Node 19), with closeAllConnections() at the deadline, as a careful user would write it.
import type { Adapter } from './types.js';

export const nodeCloseAdapter: Adapter = {
  id: 'node-close',
  label: "Node's own close",
  pkg: undefined,
  lastcall: false,
  attach(server, { gracefulTimeoutMs }) {
    // http2 servers have neither method: close() alone is what Node offers there.
    const node = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
    return {
      terminate: () =>
        new Promise<void>((resolve) => {
          const deadline = setTimeout(() => node.closeAllConnections?.(), gracefulTimeoutMs);
          server.close(() => {
            clearTimeout(deadline);
            resolve();
          });
          node.closeIdleConnections?.();
        }),
    };
  },
};
