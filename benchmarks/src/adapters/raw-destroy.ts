// The floor of the idle-close scenario: no library, a bare loop of socket.destroy() over every
// socket the server accepted, then the server's own close event.
import type * as net from 'node:net';
import type { Adapter } from './types.js';

export const rawDestroyAdapter: Adapter = {
  id: 'raw-destroy',
  label: 'raw socket.destroy() floor',
  pkg: undefined,
  lastcall: false,
  attach(server) {
    const sockets = new Set<net.Socket>();
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    return {
      terminate: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        }),
    };
  },
};
