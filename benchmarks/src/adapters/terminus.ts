// @godaddy/terminus: stoppable underneath, started only by a process signal. The child sends
// itself SIGUSR2 (a signal Node leaves alone) and counts the shutdown done at `onShutdown`.
import { createTerminus } from '@godaddy/terminus';
import { type Adapter, asHttp1 } from './types.js';

const SIGNAL = 'SIGUSR2';

/**
 * terminus re-raises the signal once it is done (after removing its own listener), which would
 * kill the child. A listener of ours keeps the process alive through that.
 */
let keptAlive = false;
/** Waiters for the next SIGUSR2 this process receives. */
const signalWaiters: Array<() => void> = [];
function keepAliveThroughReRaise(): void {
  if (keptAlive) return;
  keptAlive = true;
  process.on(SIGNAL, () => {
    for (const resolve of signalWaiters.splice(0)) resolve();
  });
}

/**
 * terminus as shipped, or with a `beforeShutdown` of `beforeShutdownMs` (its documented way to keep
 * the listener open while a balancer or Kubernetes takes the process out of rotation).
 */
export function terminusAdapterWith(beforeShutdownMs?: number): Adapter {
  const delayed = beforeShutdownMs !== undefined;
  return {
    id: delayed ? 'terminus-delay' : 'terminus',
    label: delayed ? `@godaddy/terminus (beforeShutdown ${beforeShutdownMs} ms)` : '@godaddy/terminus',
    pkg: '@godaddy/terminus',
    lastcall: false,
    attach(server, { gracefulTimeoutMs }) {
      keepAliveThroughReRaise();
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => {
        done = resolve;
      });
      // Armed once terminus is done: the one signal still to come is its re-raise.
      let reRaised: Promise<void> = Promise.resolve();
      createTerminus(asHttp1(server), {
        signals: [SIGNAL],
        timeout: gracefulTimeoutMs,
        ...(delayed ? { beforeShutdown: () => new Promise((resolve) => setTimeout(resolve, beforeShutdownMs)) } : {}),
        onShutdown: async () => {
          reRaised = new Promise((resolve) => signalWaiters.push(resolve));
          done();
        },
      });
      return {
        terminate() {
          process.kill(process.pid, SIGNAL);
          return finished;
        },
        // Otherwise the re-raise lands in the next run and starts that run's shutdown early.
        settle: () => Promise.race([reRaised, new Promise<void>((resolve) => setTimeout(resolve, 1_000))]),
      };
    },
  };
}

export const terminusAdapter = terminusAdapterWith();
