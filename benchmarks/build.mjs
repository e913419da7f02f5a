// Compiles the benchmarks (TypeScript, strict-checked by the root tsconfig) to dist/ with esbuild:
// children then start as plain `node`, with no transpiler in the process being measured.
import path from 'node:path';
import { build } from 'esbuild';

const root = path.dirname(new URL(import.meta.url).pathname);
await build({
  entryPoints: (process.env.ENTRIES?.split(',') ?? ['run', 'child', 'holder', 'loadgen', 'clients']).map((name) =>
    path.join(root, 'src', `${name}.ts`),
  ),
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
});
