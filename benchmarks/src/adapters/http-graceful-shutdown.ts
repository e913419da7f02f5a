// http-graceful-shutdown (sebhildebrandt): polls every 250 ms until its sockets are gone.
import gracefulShutdown from 'http-graceful-shutdown';
import type { Adapter } from './types.js';

export const httpGracefulShutdownAdapter: Adapter = {
  id: 'http-graceful-shutdown',
  label: 'http-graceful-shutdown',
  pkg: 'http-graceful-shutdown',
  lastcall: false,
  attach(server, { gracefulTimeoutMs }) {
    // No signals and no process.exit: the child calls the returned function itself.
    const shutdown = gracefulShutdown(server, { signals: '', timeout: gracefulTimeoutMs, forceExit: false });
    return { terminate: () => shutdown() };
  },
};
