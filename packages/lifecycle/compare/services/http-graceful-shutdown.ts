// The comparison scenarios with http-graceful-shutdown: one gracefulShutdown per server, as its README does.
import gracefulShutdown from 'http-graceful-shutdown';
import { cleanupHook, GRACE_MS, mark, nextStep, ready, scenario, startServers } from '../common.js';

if (scenario === 'done-sync') {
  mark('N/A http-graceful-shutdown has no callback-style hook');
  process.exit(0);
}
const servers = await startServers();
for (const server of servers) {
  gracefulShutdown(server, {
    signals: 'SIGINT SIGTERM',
    timeout: GRACE_MS,
    onShutdown: cleanupHook,
    finally: nextStep,
  });
}
ready(servers);
