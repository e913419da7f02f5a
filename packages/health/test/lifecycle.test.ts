// The Kubernetes sequence through @lastcall/lifecycle: shutdown -> readiness 503 -> delay until
// the checker acknowledged (listener open) -> drain -> hooks -> probe server closed last.
import { createTerminator } from '@lastcall/core';
import { AcknowledgedDelayDrain, createHealth } from '@lastcall/health';
import { createCoordinator } from '@lastcall/lifecycle';
import { closeQuietly, startHttp1, within } from '@lastcall/test-kit';
import { get } from './helpers';

describe('health.attach(coordinator)', () => {
  it('runs the sequence in order, the probe server answering liveness until the last step', async () => {
    const events: string[] = [];
    const health = createHealth();
    health.onStateChange((state) => events.push(`health ${state}`));
    // Recorded where the answer is sent: the client's own record could land after the close it causes.
    health.onNotReadyAnswer((channel) => events.push(`${channel} 503`));
    const probes = await health.listen({ port: 0 });
    const app = await startHttp1('http', (_req, res) => res.end('ok'));
    app.server.on('close', () => events.push('app listener closed'));
    const shutdown = createCoordinator({ signals: [], exit: false, logger: false, deadline: 10_000 });
    try {
      const drain = new AcknowledgedDelayDrain({ health, fall: 2, maxDelay: 5_000, settleTime: 0 });
      shutdown.add(createTerminator({ server: app.server, drain }), { name: 'app' });
      shutdown.task('db', async () => {
        events.push('hook db');
        // The application's servers are closed by now; liveness still answers.
        events.push(`liveness during hooks ${(await get(probes.port, '/livez')).status}`);
      });
      health.attach(shutdown);

      const done = shutdown.shutdown();
      expect(health.state).toBe('draining');
      for (let poll = 0; poll < 2; poll++) {
        expect((await get(app.port, '/')).status).toBe(200); // listener open during the delay
        expect((await get(probes.port, '/readyz')).status).toBe(503);
      }
      const report = await within(done, 8_000, 'the shutdown');
      expect(report.exitCode).toBe(0);
      expect(events).toEqual([
        'health draining',
        'readiness 503',
        'readiness 503',
        'app listener closed',
        'hook db',
        'liveness during hooks 200',
      ]);
      expect(drain.outcome).toBe('acknowledged');
      expect(probes.server.listening).toBe(false);
    } finally {
      shutdown.dispose();
      await probes.close();
      await closeQuietly(app.server);
    }
  });

  it('rejects what is not a coordinator', () => {
    expect(() => createHealth().attach({} as never)).toThrow(/"coordinator"/);
  });
});
