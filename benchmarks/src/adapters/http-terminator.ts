// http-terminator (gajus): tracks sockets, polls every 10 ms until they are gone.
import { createHttpTerminator } from 'http-terminator';
import { type Adapter, asHttp1 } from './types.js';

export const httpTerminatorAdapter: Adapter = {
  id: 'http-terminator',
  label: 'http-terminator',
  pkg: 'http-terminator',
  lastcall: false,
  attach(server, { gracefulTimeoutMs }) {
    const terminator = createHttpTerminator({ server: asHttp1(server), gracefulTerminationTimeout: gracefulTimeoutMs });
    return { terminate: () => terminator.terminate() };
  },
};
