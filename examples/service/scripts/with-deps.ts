// One command for the whole thing: `pnpm dev` starts PostgreSQL and Redis of its own (Debian's
// packages, 127.0.0.1, temp data dirs, foreground) and a small OTLP/HTTP receiver that prints what
// it gets, then the service against them. Ctrl-C or SIGTERM goes to the service, which shuts down
// in order; then both servers are stopped by pid. With OTEL_EXPORTER_OTLP_ENDPOINT set, traces go
// to that collector instead.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { startPostgres, startRedis } from './deps.js';
import { startOtlpReceiver } from './otlp-receiver.js';

const root = path.resolve(import.meta.dirname, '..');
const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
console.log(`postgres ${postgres.url} (pid ${postgres.pid}), redis ${redis.url} (pid ${redis.pid})`);
const receiver = process.env.OTEL_EXPORTER_OTLP_ENDPOINT
  ? undefined
  : await startOtlpReceiver(0, (spans) =>
      console.log(`otlp: ${spans.length} spans received (${spans.map((span) => span.name).join(', ')})`),
    );

const service = spawn(process.execPath, ['--import', 'tsx', '--import', './src/telemetry.ts', 'src/main.ts'], {
  cwd: root,
  env: {
    ...process.env,
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    ...(receiver ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } : {}),
  },
  stdio: 'inherit',
  // Its own process group: a Ctrl-C reaches it once, through the forwarding below, not twice.
  detached: true,
});
// The signal goes to the service only; this script waits for it to exit, then stops the servers.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => service.kill(signal));
}
const code = await new Promise<number>((resolve) => service.once('exit', (exitCode) => resolve(exitCode ?? 1)));
await Promise.all([postgres.stop(), redis.stop(), receiver?.close()]);
console.log(`service exited with code ${code}; postgres and redis stopped`);
process.exit(code);
