// The comparison scenarios with @godaddy/terminus: one createTerminus per server, as its README does.
import { createTerminus } from '@godaddy/terminus';
import { cleanupHook, GRACE_MS, mark, nextStep, ready, scenario, startServers } from '../common.js';

if (scenario === 'done-sync') {
  mark('N/A terminus has no callback-style hook');
  process.exit(0);
}
const servers = await startServers();
for (const server of servers) {
  createTerminus(server, {
    signals: ['SIGTERM', 'SIGINT'],
    timeout: GRACE_MS,
    onSignal: cleanupHook,
    onShutdown: async () => nextStep(),
    logger: (message, error) => mark(`LOG ${message} ${error instanceof Error ? error.message : ''}`),
  });
}
ready(servers);
