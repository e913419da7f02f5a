// The service's entry point: `node --import tsx --import ./src/telemetry.ts src/main.ts`
// (telemetry.ts first, so the http instrumentation is in place before express loads).
// Configuration: PORT, HOST, DATABASE_URL, REDIS_URL, OTEL_EXPORTER_OTLP_ENDPOINT.
import { createCoordinator } from '@lastcall/lifecycle';
import { configFromEnv, startService } from './service.js';
import { BOUNDS, registerShutdown } from './shutdown.js';
import { sdk } from './telemetry.js';

async function main(): Promise<void> {
  const service = await startService(configFromEnv());
  // Owns SIGTERM and SIGINT from here on; a second signal forces.
  const coordinator = createCoordinator({ deadline: BOUNDS.deadline });
  registerShutdown(coordinator, service, sdk);
  const address = service.server.address();
  console.log(`READY http=${typeof address === 'object' && address ? address.port : ''}`);
}

main().catch((error: unknown) => {
  console.error('start-up failed:', error);
  process.exit(1);
});
