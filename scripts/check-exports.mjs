// Checks every publishable package's built output the way consumers will meet it:
// publint (package.json vs files), are-the-types-wrong (types for node10/node16 CJS+ESM/bundler),
// then a real require() and a real import() of every entry in `exports` in child processes, which
// must expose the same names. Run after `pnpm build`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
// Through the root's node_modules links: an `exports` map may hide package.json from require.resolve.
const bin = (pkg, file) => path.join(root, 'node_modules', pkg, file);
let failed = 0;

function run(label, command, args, cwd) {
  try {
    const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    const out = execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    console.log(`ok   ${label}${out.trim() ? `\n${out.trim().replace(/^/gm, '     ')}` : ''}`);
    return out;
  } catch (error) {
    failed++;
    console.log(`FAIL ${label}\n${`${error.stdout ?? ''}${error.stderr ?? ''}`.trim().replace(/^/gm, '     ')}`);
    return undefined;
  }
}

const packagesDir = path.join(root, 'packages');
for (const name of readdirSync(packagesDir).sort()) {
  const dir = path.join(packagesDir, name);
  const manifestPath = path.join(dir, 'package.json');
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (manifest.private) continue;
  console.log(`\n${manifest.name}`);
  if (!existsSync(path.join(dir, 'dist'))) {
    failed++;
    console.log('FAIL no dist/: run `pnpm build` first');
    continue;
  }
  run('publint', process.execPath, [bin('publint', 'src/cli.js'), '--strict', dir], root);
  // attw checks every entry under each module resolution (node10, node16 CJS/ESM, bundler).
  run(
    'are-the-types-wrong',
    process.execPath,
    [bin('@arethetypeswrong/cli', 'dist/index.js'), '--pack', '--format', 'table-flipped', dir],
    root,
  );

  // Every code entry (`.` and any subpath), resolved by name from the package's own directory
  // (self-reference via `exports`).
  const entries = Object.keys(manifest.exports ?? { '.': {} }).filter((key) => !key.endsWith('.json'));
  for (const entry of entries) {
    const specifier = JSON.stringify(manifest.name + entry.slice(1));
    const cjs = run(
      `require(${specifier}) in a CommonJS child process`,
      process.execPath,
      ['-e', `console.log(JSON.stringify(Object.keys(require(${specifier})).sort()))`],
      dir,
    );
    const esm = run(
      `import(${specifier}) in an ES module child process`,
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${specifier}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()))`,
      ],
      dir,
    );
    if (cjs !== undefined && esm !== undefined && cjs.trim() !== esm.trim()) {
      failed++;
      console.log(`FAIL require() and import expose different names:\n     cjs ${cjs.trim()}\n     esm ${esm.trim()}`);
    }
  }
}

// The core, used for real from both module systems: a server terminated through each build.
const smoke = (kind) => `
  const http = ${kind === 'cjs' ? "require('node:http')" : "(await import('node:http')).default"};
  const { createTerminator } = ${kind === 'cjs' ? "require('@lastcall/core')" : "await import('@lastcall/core')"};
  const server = http.createServer((req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1', () => {
    const terminator = createTerminator({ server, gracefulTimeout: 1000 });
    http.get({ host: '127.0.0.1', port: server.address().port, agent: new http.Agent({ keepAlive: true }) }, (res) => {
      res.resume();
      res.on('end', async () => {
        const report = await terminator.terminate();
        if (report.timedOut || report.connections.closedGracefully !== 1) throw new Error(JSON.stringify(report));
        console.log('${kind}: terminated, ' + report.connections.closedGracefully + ' connection closed gracefully in ' + report.duration.toFixed(1) + ' ms');
      });
    });
  });`;
const coreDir = path.join(packagesDir, 'core');
run('core terminates a real server through the CommonJS build', process.execPath, ['-e', smoke('cjs')], coreDir);
run(
  'core terminates a real server through the ESM build',
  process.execPath,
  ['--input-type=module', '-e', smoke('esm')],
  coreDir,
);

if (failed > 0) {
  console.log(`\n${failed} export check(s) failed`);
  process.exit(1);
}
console.log('\nall export checks passed');
