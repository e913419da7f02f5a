// Compiles the benchmarks (TypeScript, strict-checked by the root tsconfig) to dist/ with esbuild:
// children then start as plain `node`, with no transpiler in the process being measured.
// The workspace packages measured (@lastcall/*) are used as built; one whose dist/ is missing or
// older than its src/ is built first with its own `build` script, so a fresh clone just works.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.dirname(new URL(import.meta.url).pathname);
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Newest modification time of any file under `dir` (0 when it does not exist). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

/** Workspace packages among `deps` (a package.json's dependency map). */
const workspaceDeps = (deps) =>
  Object.entries(deps ?? {})
    .filter(([, range]) => range.startsWith('workspace:'))
    .map(([name]) => name);

// Dependencies first (@lastcall/cluster's tsc reads @lastcall/core's built types): a fresh clone
// builds in one pass, whatever the manifest's alphabetical order.
const built = new Set();
function buildIfStale(name, from) {
  if (built.has(name)) return;
  built.add(name);
  const dir = path.join(from, 'node_modules', name);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const dep of workspaceDeps(pkg.dependencies)) buildIfStale(dep, dir);
  const stale = newest(path.join(dir, 'src')) > newest(path.join(dir, 'dist')) || !existsSync(path.join(dir, 'dist'));
  if (stale && pkg.scripts?.build) {
    console.log(`building ${name} (its dist/ is missing or older than its src/)`);
    execSync(pkg.scripts.build, { cwd: dir, stdio: 'inherit' });
  }
}
for (const name of workspaceDeps(manifest.devDependencies)) buildIfStale(name, root);

/**
 * @lastcall/e2e (the balancer harness) is private and never built: it is bundled from its src, the
 * one workspace package compiled into dist/ rather than loaded from node_modules.
 */
const e2eFromSource = {
  name: 'e2e-from-source',
  setup(b) {
    b.onResolve({ filter: /^@lastcall\/e2e$/ }, () => ({
      path: path.join(root, '..', 'packages', 'e2e', 'src', 'index.ts'),
    }));
  },
};

await build({
  entryPoints: [
    'run',
    'child',
    'holder',
    'loadgen',
    'clients',
    'rolling-backend',
    'cluster-service',
    'cluster-load',
    'storm-clients',
    'storm-backend',
  ].map((name) => path.join(root, 'src', `${name}.ts`)),
  outdir: path.join(root, 'dist'),
  bundle: true,
  // Every library (the peers, @lastcall/*, vega) loads from node_modules as its users load it.
  packages: 'external',
  // Not the root tsconfig's `paths` (which point @lastcall/* at src for jest): the built package,
  // as a user gets it. Our own sources need nothing from a tsconfig to compile.
  tsconfigRaw: {},
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [e2eFromSource],
});
