// Installs what we publish the way a user gets it: `pnpm pack` of every published package, then
// `npm install` of the tarballs into a scratch project in os.tmpdir() (outside the workspace, so no
// workspace link or hoisted dependency can help). Core's tarball is re-packed one patch ahead of
// the version the siblings were packed against, as when an application updates core alone: the
// install must still hold exactly one copy of core (`npm ls`, and what each sibling resolves at
// run time). There it type-checks with TypeScript's node16 and bundler resolution, runs the
// README's getting-started snippet, and runs a file using all three packages as ESM and as
// CommonJS, with drains of one package in a terminator of another. Checks too that every shipped
// source map carries its sources.
// Run after `pnpm build`. `--keep` leaves the scratch project for a look.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
/** Bound of each child step (npm install included), in milliseconds. */
const STEP_TIMEOUT_MS = 120_000;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'lastcall-pack-smoke-'));
const tarballs = path.join(scratch, 'tarballs');
const project = path.join(scratch, 'project');
mkdirSync(tarballs);
mkdirSync(project);

function step(label, command, args, cwd) {
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: STEP_TIMEOUT_MS,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const out = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  const seconds = ((performance.now() - started) / 1_000).toFixed(1);
  if (result.status !== 0) {
    console.log(`FAIL ${label} (${seconds} s, exit ${result.status ?? result.signal})\n${out.replace(/^/gm, '     ')}`);
    finish(1);
  }
  console.log(`ok   ${label} (${seconds} s)`);
  return out;
}

function finish(code) {
  if (keep || code !== 0) console.log(`scratch project kept: ${project}`);
  else rmSync(scratch, { recursive: true, force: true });
  process.exit(code);
}

// 1. Pack every published (non-private) package, in one pnpm call (pnpm, not npm: it turns
// `workspace:` ranges into real ones). A private package's tarball is dropped.
const packed = [];
for (const name of readdirSync(path.join(root, 'packages')).sort()) {
  const manifest = JSON.parse(readFileSync(path.join(root, 'packages', name, 'package.json'), 'utf8'));
  if (!manifest.private) packed.push(manifest.name);
}
step(
  `pnpm pack ${packed.join(', ')}`,
  'npx',
  ['-y', 'pnpm@10', '-r', '--filter', './packages/*', 'pack', '--pack-destination', tarballs],
  root,
);
const files = readdirSync(tarballs).filter((file) => file.endsWith('.tgz') && packed.includes(packageOf(file)));
if (files.length !== packed.length) {
  console.log(`FAIL expected a tarball for each of ${packed.join(', ')}, got ${files.join(', ')}`);
  finish(1);
}

// 1b. Core one patch ahead: unpack its tarball, bump the version, pack it again (npm pack: no
// workspace range is left in it). The siblings were packed against the workspace's version and
// declare core as a caret peer, so the newer patch must satisfy them all.
const coreFile = files.find((file) => packageOf(file) === '@lastcall/core');
const unpacked = path.join(scratch, 'core-next');
mkdirSync(unpacked);
step('unpack @lastcall/core', 'tar', ['-xzf', path.join(tarballs, coreFile), '-C', unpacked], root);
const coreManifestPath = path.join(unpacked, 'package', 'package.json');
const coreManifest = JSON.parse(readFileSync(coreManifestPath, 'utf8'));
const packedCoreVersion = coreManifest.version;
const [major, minor, patch] = packedCoreVersion.split(/[.+-]/).map(Number);
const nextCoreVersion = `${major}.${minor}.${patch + 1}`;
coreManifest.version = nextCoreVersion;
writeFileSync(coreManifestPath, `${JSON.stringify(coreManifest, null, 2)}\n`);
rmSync(path.join(tarballs, coreFile));
step(
  `npm pack @lastcall/core ${nextCoreVersion} (one patch ahead of ${packedCoreVersion})`,
  'npm',
  ['pack', '--pack-destination', tarballs],
  path.join(unpacked, 'package'),
);
const nextCoreFile = readdirSync(tarballs).find((file) => file.startsWith(`lastcall-core-${nextCoreVersion}`));
files.splice(files.indexOf(coreFile), 1, nextCoreFile);
// Every sibling names core as a caret peer (never a dependency: that would install a second copy
// under the sibling as soon as the ranges part).
// @lastcall/verify is a CLI that uses no part of core: it names neither.
const CORE_FREE = new Set(['@lastcall/verify']);
for (const file of files.filter((f) => f !== nextCoreFile && !CORE_FREE.has(packageOf(f)))) {
  const manifest = JSON.parse(
    execFileSync('tar', ['-xzOf', path.join(tarballs, file), 'package/package.json'], { encoding: 'utf8' }),
  );
  const peer = manifest.peerDependencies?.['@lastcall/core'];
  if (manifest.dependencies?.['@lastcall/core'] !== undefined || peer !== `^${packedCoreVersion}`) {
    console.log(
      `FAIL ${manifest.name}: @lastcall/core must be a peer dependency ^${packedCoreVersion} (peer: ${peer}, dependency: ${manifest.dependencies?.['@lastcall/core']})`,
    );
    finish(1);
  }
}
console.log(`ok   every sibling declares @lastcall/core as a peer, ^${packedCoreVersion}`);

// 2. A scratch project that depends on the tarballs and on nothing of the workspace. Registry
// dependencies are the packages' own (p-timeout, reflect-metadata, tsyringe), ws for @lastcall/ws's
// peer, and the types a TypeScript user would install.
writeFileSync(
  path.join(project, 'package.json'),
  `${JSON.stringify(
    {
      name: 'lastcall-pack-smoke',
      private: true,
      type: 'module',
      dependencies: {
        ...Object.fromEntries(files.map((file) => [packageOf(file), `file:../tarballs/${file}`])),
        ws: '^8.18.0',
      },
      devDependencies: { '@types/node': '^20.19.0', '@types/ws': '^8.18.0' },
    },
    null,
    2,
  )}\n`,
);
step(
  'npm install of the tarballs (outside the workspace)',
  'npm',
  ['install', '--no-audit', '--no-fund', '--prefer-offline'],
  project,
);

// Exactly one copy of core: npm's own view, then what each sibling resolves at run time.
const tree = JSON.parse(
  spawnSync('npm', ['ls', '@lastcall/core', '--all', '--json'], { cwd: project, encoding: 'utf8' }).stdout,
);
const coreCopies = new Set();
(function walk(node, at) {
  for (const [name, child] of Object.entries(node.dependencies ?? {})) {
    if (name === '@lastcall/core') coreCopies.add(child.version ?? `unknown at ${at}`);
    walk(child, `${at} > ${name}`);
  }
})(tree, 'project');
const resolvedCores = new Set(
  files.map((file) =>
    execFileSync(
      process.execPath,
      ['-e', `console.log(require.resolve('@lastcall/core', { paths: [require.resolve('${packageOf(file)}')] }))`],
      { cwd: project, encoding: 'utf8' },
    ).trim(),
  ),
);
if (coreCopies.size !== 1 || !coreCopies.has(nextCoreVersion) || resolvedCores.size !== 1) {
  console.log(
    `FAIL one copy of @lastcall/core expected (${nextCoreVersion}); npm ls: ${[...coreCopies].join(', ')}; resolved from the packages: ${[...resolvedCores].join(', ')}`,
  );
  spawnSync('npm', ['ls', '@lastcall/core', '--all'], { cwd: project, stdio: 'inherit' });
  finish(1);
}
console.log(`ok   one copy of @lastcall/core (${nextCoreVersion}) in npm ls and for every package at run time`);

/** `lastcall-core-0.2.0.tgz` -> `@lastcall/core`. */
function packageOf(file) {
  const match = /^lastcall-(.+)-\d+\.\d+\.\d+.*\.tgz$/.exec(file);
  if (!match) throw new Error(`pack-smoke: unexpected tarball name ${file}`);
  return `@lastcall/${match[1]}`;
}

// 3. Source maps: each one either carries its sources or names only files that are shipped.
let mapsChecked = 0;
for (const name of packed) {
  const dir = path.join(project, 'node_modules', name);
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    const missing = map.sources.filter((_source, i) => typeof map.sourcesContent?.[i] !== 'string');
    if (missing.length > 0) {
      console.log(`FAIL ${name}/${file}: source map without the content of ${missing.join(', ')}`);
      finish(1);
    }
    mapsChecked++;
  }
}
console.log(`ok   ${mapsChecked} source maps carry their sources`);

// 4. The README's getting-started snippet, as written, with a stand-in `app` before it and a
// driver after it that makes one request and sends the process its own SIGTERM. Port 8080 becomes
// 0, so a busy CI machine cannot collide.
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const use = readme.slice(readme.indexOf('## Use'));
const snippet = /```ts\n([\s\S]*?)```/.exec(use)?.[1];
if (!snippet?.includes('createTerminator')) {
  console.log("FAIL the README's Use section has no ts block with createTerminator");
  finish(1);
}
const prelude = `import type { AddressInfo } from 'node:net';\nconst app: import('node:http').RequestListener = (_req, res) => res.end('ok');\n`;
const driver = `
server.once('listening', () => {
  const { port } = server.address() as AddressInfo;
  http.get({ host: '127.0.0.1', port, agent: false }, (res) => {
    res.resume();
    res.on('end', () => process.kill(process.pid, 'SIGTERM'));
  });
});
`;
const lines = snippet.split('\n');
const firstCode = lines.findIndex((line) => !line.startsWith('import '));
writeFileSync(
  path.join(project, 'getting-started.ts'),
  [...lines.slice(0, firstCode), prelude, ...lines.slice(firstCode)].join('\n').replace('listen(8080)', 'listen(0)') +
    driver,
);

// 5. Every package from ESM and from CommonJS: a server with a WebSocket, the coordinator over it.
// The drain of @lastcall/ws runs in @lastcall/core's terminator (core one patch ahead of the
// version ws was packed against): the connected client must get its 1001 close frame.
const allPackages = `
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTerminator, KeepAliveDrain } from '@lastcall/core';
import { createCoordinator } from '@lastcall/lifecycle';
import { WebSocketDrain } from '@lastcall/ws';
import { WebSocket, WebSocketServer } from 'ws';

const server = http.createServer((_req, res) => res.end('ok'));
const wss = new WebSocketServer({ server });
const shutdown = createCoordinator({ exit: false, logger: false, signals: [] });
shutdown.add(
  createTerminator({ server, gracefulTimeout: 2_000, drain: [new KeepAliveDrain(), new WebSocketDrain({ webSocketServers: wss })] }),
  { name: 'api' },
);
server.listen(0, '127.0.0.1', () => {
  const client = new WebSocket('ws://127.0.0.1:' + (server.address() as AddressInfo).port);
  const closed = new Promise<number>((resolve) => client.on('close', (code) => resolve(code)));
  client.on('open', async () => {
    const report = await shutdown.shutdown();
    const code = await closed;
    if (report.exitCode !== 0) throw new Error('exit code ' + report.exitCode);
    if (code !== 1001) throw new Error('the client got close code ' + code + ', not 1001 from WebSocketDrain');
    console.log('shutdown ok, ' + report.phases.length + ' phases, client closed with ' + code);
  });
});
`;
writeFileSync(path.join(project, 'all-packages.mts'), allPackages);
writeFileSync(path.join(project, 'all-packages.cts'), allPackages);

const common = { strict: true, target: 'ES2022', esModuleInterop: true, skipLibCheck: false, types: ['node'] };
writeFileSync(
  path.join(project, 'tsconfig.node16.json'),
  JSON.stringify({
    compilerOptions: { ...common, module: 'node16', moduleResolution: 'node16', outDir: 'out' },
    files: ['getting-started.ts', 'all-packages.mts', 'all-packages.cts'],
  }),
);
writeFileSync(
  path.join(project, 'tsconfig.bundler.json'),
  JSON.stringify({
    // Our .d.ts files were checked under node16 just above; here only what resolves differently.
    compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler', noEmit: true, skipLibCheck: true },
    files: ['getting-started.ts', 'all-packages.mts'],
  }),
);
// The workspace's own TypeScript, run on the scratch project: what it resolves is the project's.
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
step(
  'tsc, moduleResolution node16 (ESM .ts/.mts, CommonJS .cts), emitting',
  process.execPath,
  [tsc, '-p', 'tsconfig.node16.json'],
  project,
);
step('tsc, moduleResolution bundler', process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], project);

const started = step(
  "the README's getting-started snippet (ESM), ended by its own SIGTERM",
  process.execPath,
  ['out/getting-started.js'],
  project,
);
if (!/duration/.test(started)) {
  console.log(`FAIL the snippet printed no report:\n${started}`);
  finish(1);
}
step('all three packages from ESM', process.execPath, ['out/all-packages.mjs'], project);
step('all three packages from CommonJS', process.execPath, ['out/all-packages.cjs'], project);
const required = execFileSync(
  process.execPath,
  [
    '-e',
    `console.log(typeof require('@lastcall/core').createTerminator, typeof require('@lastcall/lifecycle').createCoordinator, typeof require('@lastcall/ws').WebSocketDrain)`,
  ],
  { cwd: project, encoding: 'utf8' },
).trim();
if (required !== 'function function function') {
  console.log(`FAIL plain require() of the packages: ${required}`);
  finish(1);
}
console.log('ok   plain require() of every package');

// 6. @lastcall/verify as a CI job runs it: `npx` of the packed tarball from an empty folder
// (--help), then `npx lastcall-verify` in the project against a small lastcall service: one
// SIGTERM under keep-alive load with a slow request in flight; exit 0 and a JSON report that passed.
const verifyFile = files.find((file) => packageOf(file) === '@lastcall/verify');
const npxDir = path.join(scratch, 'npx');
mkdirSync(npxDir);
const help = step(
  'npx --package <the @lastcall/verify tarball> lastcall-verify --help, from an empty folder',
  'npx',
  ['--yes', '--package', path.join(tarballs, verifyFile), 'lastcall-verify', '--help'],
  npxDir,
);
if (!help.includes('lastcall-verify [options] -- <command...>')) {
  console.log(`FAIL lastcall-verify --help printed:\n${help}`);
  finish(1);
}
writeFileSync(
  path.join(project, 'verify-service.mjs'),
  `import * as http from 'node:http';
import { createTerminator } from '@lastcall/core';
import { createCoordinator } from '@lastcall/lifecycle';

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => setTimeout(() => res.end('ok'), req.url === '/slow' ? 500 : 2));
});
const shutdown = createCoordinator({ logger: false });
shutdown.add(createTerminator({ server, gracefulTimeout: 5_000 }), { name: 'api' });
server.listen(Number(process.env.PORT), '127.0.0.1');
`,
);
const verified = step(
  'npx lastcall-verify -- node verify-service.mjs (one SIGTERM under load, a slow request in flight)',
  'npx',
  [
    '--no-install',
    'lastcall-verify',
    '--json',
    '--quiet',
    '--runs',
    '1',
    '--post',
    '/items',
    '--slow',
    '/slow',
    '--grace',
    '10s',
    '--',
    process.execPath,
    'verify-service.mjs',
  ],
  project,
);
// The report is stdout; npm may add a warning of its own (stderr) after it.
const verifyReport = JSON.parse(verified.slice(verified.indexOf('{'), verified.lastIndexOf('}') + 1));
if (!verifyReport.passed || verifyReport.total.ok < 1 || verifyReport.runs[0]?.slow?.completed !== true) {
  console.log(`FAIL lastcall-verify's report:\n${verified}`);
  finish(1);
}
console.log(`ok   lastcall-verify: ${verifyReport.total.ok} requests ok, ${verifyReport.total.failed} failed, exit 0`);
console.log(`pack smoke passed: ${packed.join(', ')}`);
finish(0);
