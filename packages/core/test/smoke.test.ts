import { createTerminator } from '@lastcall/core';
import { startHttp1 } from '@lastcall/test-kit';

test('an idle server terminates at once and reports nothing open', async () => {
  const { server } = await startHttp1('http', (_req, res) => res.end('ok'));
  const terminator = createTerminator({ server, gracefulTimeout: 1000 });
  const report = await terminator.terminate();
  expect(report.timedOut).toBe(false);
  expect(report.connections.atStart).toBe(0);
  expect(terminator.state).toBe('closed');
  expect(server.listening).toBe(false);
});
