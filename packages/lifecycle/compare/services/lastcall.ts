// The comparison scenarios with lastcall: one terminator per server, one coordinator.
import { createTerminator } from '@lastcall/core';
import { createCoordinator } from '../../src/index.js';
import { cleanupHook, GRACE_MS, HOOK_TIMEOUT_MS, mark, nextStep, ready, scenario, startServers } from '../common.js';

const servers = await startServers();
const shutdown = createCoordinator({ hookTimeout: HOOK_TIMEOUT_MS, finally: () => mark('FINALLY ran') });
servers.forEach((server, index) => {
  shutdown.add(createTerminator({ server, gracefulTimeout: GRACE_MS }), { name: `server ${index + 1}` });
});
if (scenario === 'done-sync') {
  shutdown.task('sync-done', (_context, done) => {
    mark('HOOK start');
    done();
  });
} else {
  shutdown.task('cleanup', cleanupHook);
}
shutdown.task('next', nextStep, { order: 1 });
ready(servers);
