// The comparison scenarios with lightship: one lightship, a shutdown handler per server and one for cleanup.
import type { Server } from 'node:http';
import { createLightship } from 'lightship';
import { cleanupHook, GRACE_MS, HOOK_TIMEOUT_MS, mark, nextStep, ready, scenario, startServers } from '../common.js';

if (scenario === 'done-sync') {
  mark('N/A lightship has no callback-style hook');
  process.exit(0);
}
const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
const servers = await startServers();
const lightship = await createLightship({
  signals: ['SIGTERM', 'SIGINT'],
  // Both bounds: the handlers (servers closing, then cleanup) must finish within them.
  gracefulShutdownTimeout: Math.max(GRACE_MS, HOOK_TIMEOUT_MS),
  shutdownHandlerTimeout: Math.max(GRACE_MS, HOOK_TIMEOUT_MS),
  shutdownDelay: 0,
});
for (const server of servers) lightship.registerShutdownHandler(() => close(server));
lightship.registerShutdownHandler(cleanupHook);
lightship.registerShutdownHandler(async () => nextStep());
lightship.signalReady();
ready(servers);
