// @moebius/http-graceful-shutdown: destroys idle sockets now and busy ones when they finish; no timeout.
import { GracefulShutdownManager } from '@moebius/http-graceful-shutdown';
import { type Adapter, asHttp1 } from './types.js';

export const moebiusAdapter: Adapter = {
  id: 'moebius',
  label: '@moebius/http-graceful-shutdown',
  pkg: '@moebius/http-graceful-shutdown',
  lastcall: false,
  attach(server) {
    const manager = new GracefulShutdownManager(asHttp1(server));
    return {
      terminate: () => new Promise<void>((resolve) => manager.terminate(() => resolve())),
    };
  },
};
