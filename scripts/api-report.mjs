// The API reports: Microsoft API Extractor reads each public package's built main entry
// (dist/esm/index.d.ts) and compares it with packages/<name>/etc/<name>.api.md.
// `node scripts/api-report.mjs` (pnpm api:check) fails, printing the diff, when the surface changed;
// `--update` (pnpm api:update) rewrites the reports. Run after `pnpm build`.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = path.resolve(import.meta.dirname, '..');
const update = process.argv.includes('--update');
const packagesDir = path.join(root, 'packages');

/** Newest modification time of any file under `dir`. */
function newest(dir) {
  let latest = 0;
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    latest = Math.max(latest, statSync(path.join(dir, name)).mtimeMs);
  }
  return latest;
}

// Only the main entry (`.`) of each published package: it is the whole public surface.
const targets = readdirSync(packagesDir)
  .sort()
  .map((name) => path.join(packagesDir, name))
  .filter((dir) => {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      return !manifest.private && manifest.exports?.['.'] !== undefined;
    } catch {
      return false;
    }
  });

const tempFolder = mkdtempSync(path.join(tmpdir(), 'lastcall-api-'));
let failed = 0;
for (const dir of targets) {
  const entry = path.join(dir, 'dist/esm/index.d.ts');
  const relative = path.relative(root, dir);
  // A report of stale declarations would pass or fail for the wrong reason.
  let stale;
  try {
    stale = newest(path.join(dir, 'src')) > newest(path.join(dir, 'dist/esm'));
  } catch {
    stale = true;
  }
  if (stale) {
    failed++;
    console.log(`FAIL ${relative}: dist/esm is missing or older than src/: run \`pnpm build\` first`);
    continue;
  }

  const name = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name;
  if (update) mkdirSync(path.join(dir, 'etc'), { recursive: true });
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: dir,
      mainEntryPointFilePath: entry,
      // The declarations as a NodeNext consumer reads them; sibling packages resolve through
      // node_modules to their own dist, as a user's would.
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2023'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            types: ['node'],
          },
          files: [entry],
        },
      },
      apiReport: {
        enabled: true,
        reportFolder: path.join(dir, 'etc'),
        reportTempFolder: tempFolder,
        reportFileName: '<unscopedPackageName>.api.md',
        // A type reachable from the surface but not exported (core's SocketRegistry through
        // DrainContext.registry) is still public in effect: its shape goes into the report too.
        includeForgottenExports: true,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      // We use no release tags (@public, @beta) and our JSDoc is not strict TSDoc: those messages
      // are off. What is left to fail is the one thing checked here: a report that differs.
      messages: {
        compilerMessageReporting: { default: { logLevel: 'error' } },
        extractorMessageReporting: {
          default: { logLevel: 'none', addToApiReportFile: false },
          'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
        },
        tsdocMessageReporting: { default: { logLevel: 'none', addToApiReportFile: false } },
      },
    },
    configObjectFullPath: undefined,
    packageJsonFullPath: path.join(dir, 'package.json'),
  });

  const result = Extractor.invoke(config, { localBuild: update, printApiReportDiff: true, showVerboseMessages: false });
  const report = path.relative(root, config.reportFilePath);
  if (!result.succeeded) {
    failed++;
    console.log(
      result.apiReportChanged
        ? `FAIL ${report}: the public API of ${name} differs from the report (diff above). If the change is meant, run \`pnpm api:update\` and commit the report.`
        : `FAIL ${report}: API Extractor reported ${result.errorCount} error(s)`,
    );
  } else {
    console.log(`ok   ${report}${update && result.apiReportChanged ? ' (updated)' : ''}`);
  }
}
rmSync(tempFolder, { recursive: true, force: true });

if (failed > 0) process.exit(1);
