// lil-http-terminator: http-terminator's lighter fork, polls every 1 ms.
import lilHttpTerminator from 'lil-http-terminator';
import { type Adapter, asHttp1 } from './types.js';

/** Its `logger` would print a warning per odd case; the benchmark output must stay the report's. */
const silent = { warn: () => undefined, error: () => undefined, info: () => undefined };

export const lilHttpTerminatorAdapter: Adapter = {
  id: 'lil-http-terminator',
  label: 'lil-http-terminator',
  pkg: 'lil-http-terminator',
  lastcall: false,
  attach(server, { gracefulTimeoutMs }) {
    const terminator = lilHttpTerminator({
      server: asHttp1(server),
      gracefulTerminationTimeout: gracefulTimeoutMs,
      // Its own overall cap (default 30 s): a little past the graceful period, so it never decides first.
      maxWaitTimeout: gracefulTimeoutMs + 1_000,
      logger: silent,
    });
    return {
      async terminate() {
        await terminator.terminate();
      },
    };
  },
};
