// Builds the package in the current directory into dist/esm (tsc: ESM + .d.ts, with decorator
// metadata) and dist/cjs (esbuild: one CommonJS file per ESM file). Dependencies stay external,
// except ESM-only ones (p-timeout), which CommonJS consumers on Node < 20.19 could not require.

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const root = process.cwd();
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });

/** A dependency is ESM-only when its package.json says `type: module` and offers no `require` condition. */
function isEsmOnly(name) {
  let manifest;
  try {
    // Read through the package's own node_modules link: an `exports` map may hide package.json.
    manifest = JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8'));
  } catch {
    return false;
  }
  const exportsText = JSON.stringify(manifest.exports ?? {});
  return manifest.type === 'module' && !exportsText.includes('"require"');
}

const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const external = deps.filter((name) => !isEsmOnly(name));
external.push('node:*');

/** Every file under `dir` whose name ends with `suffix`. */
function listFiles(dir, suffix) {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(suffix))
    .map((name) => path.join(dir, name));
}

// One CommonJS file per module, not one bundle per entry: a package with two entries would
// otherwise load two copies of every shared module into one process (two SocketRegistry classes,
// two sets of error classes: `instanceof` across entries would fail). Our
// relative imports stay `require('./x.js')`; only an ESM-only dependency is inlined, into the one
// file that imports it.
const esmDir = path.join(root, 'dist/esm');
const ownRelativeImportsStayExternal = {
  name: 'own-relative-imports-stay-external',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.importer.startsWith(esmDir + path.sep) ? { path: args.path, external: true } : undefined,
    );
  },
};

await build({
  entryPoints: listFiles(esmDir, '.js'),
  outbase: esmDir,
  outdir: path.join(root, 'dist/cjs'),
  bundle: true,
  plugins: [ownRelativeImportsStayExternal],
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  logLevel: 'warning',
});

// CommonJS consumers get the same declarations, read as CommonJS through this package.json.
function copyDeclarations(from, to) {
  for (const entry of readdirSync(from)) {
    const source = path.join(from, entry);
    const target = path.join(to, entry);
    if (statSync(source).isDirectory()) copyDeclarations(source, target);
    else if (entry.endsWith('.d.ts')) {
      mkdirSync(to, { recursive: true });
      cpSync(source, target);
    }
  }
}
copyDeclarations(path.join(root, 'dist/esm'), path.join(root, 'dist/cjs'));
writeFileSync(path.join(root, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');
// Every file the `exports` map names must exist: a missing subpath entry would only show at a user's import.
const targets = JSON.stringify(pkg.exports ?? {}).match(/"\.\/dist\/[^"]+"/g) ?? [];
const missing = targets.map((target) => JSON.parse(target)).filter((target) => !existsSync(path.join(root, target)));
if (missing.length > 0) throw new Error(`build: ${pkg.name}'s exports name files not built: ${missing.join(', ')}`);
console.log(
  `built ${pkg.name}: dist/esm (ESM + types), dist/cjs (CommonJS, one file per module; inlined: ${deps.filter((d) => !external.includes(d)).join(', ') || 'nothing'})`,
);
