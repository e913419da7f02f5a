// lightship (gajus): Kubernetes probes on a server of its own; at shutdown, readiness turns 500,
// `shutdownDelay` passes, then the registered shutdown handlers run (here Node's close, as its README shows).
import { createLightship } from 'lightship';
import { FIXED_DELAY_MS } from '../lib/rolling.js';
import { type Adapter, asHttp1 } from './types.js';

export const lightshipAdapter: Adapter = {
  id: 'lightship',
  label: `lightship (shutdownDelay ${FIXED_DELAY_MS} ms)`,
  pkg: 'lightship',
  lastcall: false,
  attach(server, { gracefulTimeoutMs }) {
    const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
    // No signals and no terminate: the benchmark calls shutdown() and owns the process.
    const ready = createLightship({
      detectKubernetes: false,
      port: 0,
      shutdownDelay: FIXED_DELAY_MS,
      shutdownHandlerTimeout: gracefulTimeoutMs,
      gracefulShutdownTimeout: gracefulTimeoutMs * 2,
      signals: [],
      terminate: () => undefined,
    }).then((lightship) => {
      lightship.registerShutdownHandler(() => {
        asHttp1(server).close();
      });
      lightship.signalReady();
      return lightship;
    });
    return {
      async terminate() {
        const lightship = await ready;
        await lightship.shutdown();
        await closed;
        await new Promise<void>((resolve) => lightship.server.close(() => resolve()));
      },
    };
  },
};
