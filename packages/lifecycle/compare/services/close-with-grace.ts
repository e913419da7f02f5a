// The comparison scenarios with close-with-grace: one handler that closes every server, then cleans up.
import type { Server } from 'node:http';
import closeWithGrace from 'close-with-grace';
import { cleanupHook, GRACE_MS, mark, nextStep, ready, scenario, startServers } from '../common.js';

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
const servers = await startServers();
if (scenario === 'done-sync') {
  // Callback style, done() called synchronously.
  closeWithGrace({ delay: GRACE_MS }, (_options: object, done: (error?: Error) => void) => {
    mark('HOOK start');
    done();
  });
} else {
  closeWithGrace({ delay: GRACE_MS }, async () => {
    await Promise.all(servers.map(close));
    await cleanupHook();
    nextStep();
  });
}
ready(servers);
