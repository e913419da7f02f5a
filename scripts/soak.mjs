// The long soak of the randomized shutdown schedules: thousands of runs in batches, each batch
// with its own seed, printed first so any batch can be replayed on its own.
// Usage: node scripts/soak.mjs [schedules=2000] [perBatch=250] [firstSeed=random]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const total = Number(process.argv[2] ?? 2_000);
const perBatch = Number(process.argv[3] ?? 250);
let seed = Number(process.argv[4] ?? Math.floor(Math.random() * 2_147_483_647));
if (![total, perBatch, seed].every(Number.isInteger) || total < 1 || perBatch < 1) {
  console.error('usage: node scripts/soak.mjs [schedules=2000] [perBatch=250] [firstSeed]');
  process.exit(2);
}

/**
 * The most one batch may take: the test inside has its own limit of 10 minutes (schedules.test.ts),
 * and this leaves 5 more for jest to start and exit. A batch past it is killed and counts as a
 * failure, so a hang in jest itself cannot stall the soak.
 */
const BATCH_TIMEOUT_MS = 15 * 60_000;

const started = Date.now();
const seeds = [];
let ran = 0;
while (ran < total) {
  const count = Math.min(perBatch, total - ran);
  seeds.push(seed);
  console.log(`[soak] batch ${seeds.length}: ${count} schedules, seed ${seed}`);
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules/jest/bin/jest.js'), 'packages/ws/test/reliability/schedules.test.ts', '--runInBand'],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, LASTCALL_SEED: String(seed), LASTCALL_SCHEDULES: String(count) },
      timeout: BATCH_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    },
  );
  if (result.status !== 0) {
    if (result.error?.code === 'ETIMEDOUT') {
      console.error(`[soak] the batch with seed ${seed} ran past ${BATCH_TIMEOUT_MS / 60_000} min and was killed`);
    }
    console.error(`[soak] FAILED in the batch with seed ${seed}; replay it with:`);
    console.error(
      `  LASTCALL_SEED=${seed} LASTCALL_SCHEDULES=${count} npx jest packages/ws/test/reliability/schedules.test.ts`,
    );
    console.error(`[soak] seeds run: ${seeds.join(' ')}`);
    process.exit(1);
  }
  ran += count;
  seed = (seed * 48_271 + 1) % 2_147_483_647;
}
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(`[soak] ${ran} schedules passed in ${minutes} min; seeds: ${seeds.join(' ')}`);
