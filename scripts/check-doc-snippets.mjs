// Type-checks the ```ts code blocks of the docs (docs/*.md and docs/guides/*.md) against the
// workspace's sources, so a snippet cannot drift from the code it shows. Each block becomes a
// module in a temporary directory: the imports of every block on its page first (a later block
// builds on the first one's imports), then the block itself. `@lastcall/*` resolves to
// packages/*/src through paths, as the root tsconfig does. The names a snippet takes from its
// context (`server`, `app`, `wss`...) are declared once, typed, in PRELUDE below.
//
// A block that is deliberately partial (a fragment of a class, an option list) is skipped with
// `<!-- snippet: skip -->` on a line of its own right before its fence. Use it sparingly. A block
// marked `<!-- cut from examples/... -->` is left to examples/service's doc-cuts test, which
// finds it line for line in a file that example type-checks and runs.
//
// Usage: node scripts/check-doc-snippets.mjs   (exit code 1 on any error, each one named by page:line)
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '..');
const SKIP = '<!-- snippet: skip -->';
const pages = ['docs', 'docs/guides'].flatMap((dir) =>
  readdirSync(path.join(root, dir))
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => path.join(dir, file)),
);

/**
 * What a snippet may use without declaring it: the server, app or pool the page's prose is
 * about. Typed where the type is ours or Node's, so a wrong call on them still fails.
 */
const PRELUDE = `
import type * as http from 'node:http';
declare global {
  const server: http.Server;
  const api: http.Server;
  const admin: http.Server;
  // An express, koa or plain handler, for http and http2 alike: the application is the reader's own.
  const app: (request: any, response: any) => void;
  const handler: (request: any, response: any) => void;
  const key: string;
  const cert: string;
  const wss: import('ws').WebSocketServer;
  const terminator: import('@lastcall/core').Terminator;
  const coordinator: import('@lastcall/lifecycle').ShutdownCoordinator;
  const shutdown: import('@lastcall/lifecycle').ShutdownCoordinator;
  const health: import('@lastcall/health').Health;
  const pool: { end(): Promise<void>; query(text: string): Promise<unknown> };
  const metrics: { flush(): Promise<void> };
  const sdk: { shutdown(): Promise<void> };
  function warmUp(): Promise<void>;
  function pino(options?: { level?: string }): import('@lastcall/lifecycle').Logger;
}
export {};
`;

/** A page's blocks: the code, the line its first code line is on, whether it is skipped. */
function blocksOf(page) {
  const lines = readFileSync(path.join(root, page), 'utf8').split('\n');
  const blocks = [];
  for (let index = 0; index < lines.length; index++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[index])) continue;
    let previous = index - 1;
    while (previous >= 0 && lines[previous].trim() === '') previous--;
    const mark = previous >= 0 ? lines[previous].trim() : '';
    const skipped = mark === SKIP ? 'skip' : mark.startsWith('<!-- cut from ') ? 'cut' : undefined;
    const start = index + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    blocks.push({ code: lines.slice(start, end).join('\n'), line: start + 1, skipped });
    index = end;
  }
  return blocks;
}

/**
 * The block with its imports blanked out (lines kept, so positions still map), its imports, and
 * the names it declares at its top level (an import of the same name from another block yields).
 */
function splitImports(code) {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true);
  const imports = [];
  const declared = new Set();
  let body = code;
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      imports.push(statement);
      const text = statement.getFullText(source);
      body = body.replace(text, text.replace(/[^\n]/g, ' '));
    } else if ((ts.isClassDeclaration(statement) || ts.isFunctionDeclaration(statement)) && statement.name) {
      declared.add(statement.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) declared.add(declaration.name.text);
      }
    }
  }
  return { imports, body, declared };
}

/**
 * One import line per module for the page's imports together: a name imported twice is imported
 * once, a name in `declared` not at all. A relative module is the reader's own (`./app.module`):
 * each name from it is declared as an opaque class, usable as a value and as a type.
 */
function mergeImports(declarations, declared) {
  const byModule = new Map();
  const taken = new Set(declared);
  const lines = [];
  for (const declaration of declarations) {
    const from = declaration.moduleSpecifier.text;
    const clause = declaration.importClause;
    if (clause === undefined) {
      lines.push(`import '${from}';`);
      continue;
    }
    const entry = byModule.get(from) ?? { named: new Map(), default: undefined, namespace: undefined };
    byModule.set(from, entry);
    if (clause.name && !taken.has(clause.name.text)) {
      entry.default = clause.name.text;
      taken.add(clause.name.text);
    }
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings) && !taken.has(bindings.name.text)) {
      entry.namespace = bindings.name.text;
      taken.add(bindings.name.text);
    } else if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) {
        if (taken.has(element.name.text)) continue;
        taken.add(element.name.text);
        const imported = element.propertyName
          ? `${element.propertyName.text} as ${element.name.text}`
          : element.name.text;
        entry.named.set(element.name.text, clause.isTypeOnly || element.isTypeOnly ? `type ${imported}` : imported);
      }
    }
  }
  for (const [from, entry] of byModule) {
    if (from.startsWith('.')) {
      for (const name of [entry.default, entry.namespace, ...entry.named.keys()]) {
        if (name) lines.push(`declare class ${name} {}`);
      }
      continue;
    }
    if (entry.default) lines.push(`import ${entry.default} from '${from}';`);
    if (entry.namespace) lines.push(`import * as ${entry.namespace} from '${from}';`);
    if (entry.named.size > 0) lines.push(`import { ${[...entry.named.values()].join(', ')} } from '${from}';`);
  }
  return lines;
}

/**
 * Where a bare module of a snippet is installed: pnpm links a framework only into the package
 * or example that uses it, so the root's node_modules may not have it. Its @types first.
 */
function locate(name) {
  const holders = [
    root,
    ...['packages', 'examples'].flatMap((dir) =>
      readdirSync(path.join(root, dir)).map((entry) => path.join(root, dir, entry)),
    ),
  ];
  const typesName = name.startsWith('@') ? `@types/${name.slice(1).replace('/', '__')}` : `@types/${name}`;
  for (const candidate of [typesName, name]) {
    for (const holder of holders) {
      const dir = path.join(holder, 'node_modules', candidate);
      if (existsSync(path.join(dir, 'package.json'))) return dir;
    }
  }
  return undefined;
}

const started = performance.now();
const dir = mkdtempSync(path.join(os.tmpdir(), 'lastcall-doc-snippets-'));
const origin = new Map(); // file -> { page, line, header }
const bare = new Set(['ws']);
const skipped = { skip: 0, cut: 0 };
try {
  writeFileSync(path.join(dir, 'prelude.ts'), PRELUDE);
  for (const page of pages) {
    const blocks = blocksOf(page);
    const parts = blocks.map((block) => ({ block, ...splitImports(block.code) }));
    // A skipped block's imports stay out: it may import what is not installed here.
    const checked = parts.filter((part) => !part.block.skipped);
    const imports = checked.flatMap((part) => part.imports);
    for (const part of checked) {
      for (const declaration of part.imports) {
        const from = declaration.moduleSpecifier.text;
        if (!from.startsWith('.') && !from.startsWith('node:') && !from.startsWith('@lastcall/')) bare.add(from);
      }
    }
    for (const [index, { block, body, declared }] of parts.entries()) {
      if (block.skipped) {
        skipped[block.skipped]++;
        continue;
      }
      const header = mergeImports(imports, declared);
      const file = path.join(dir, `${page.replace(/[/.]/g, '_')}_${index + 1}.ts`);
      writeFileSync(file, `${header.join('\n')}\n${body}\nexport {};\n`);
      origin.set(file, { page, line: block.line, header: header.length });
    }
  }
  const paths = { '@lastcall/*': [path.join(root, 'packages/*/src/index.ts')] };
  for (const name of bare) {
    const found = locate(name);
    if (found) paths[name] = [found];
  }
  const options = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    types: ['node'],
    typeRoots: [path.join(root, 'node_modules/@types')],
    baseUrl: root,
    paths,
  };
  const program = ts.createProgram([path.join(dir, 'prelude.ts'), ...origin.keys()], options);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  let errors = 0;
  for (const diagnostic of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const from = diagnostic.file && origin.get(path.normalize(diagnostic.file.fileName));
    if (diagnostic.file && from) {
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const where =
        line < from.header
          ? `${from.page}:${from.line - 1} (the page's imports)`
          : `${from.page}:${from.line + line - from.header}`;
      console.log(`${where}: TS${diagnostic.code} ${message}`);
    } else {
      console.log(
        `${diagnostic.file ? path.relative(root, diagnostic.file.fileName) : '(options)'}: TS${diagnostic.code} ${message}`,
      );
    }
    errors++;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${origin.size} snippets checked on ${pages.length} pages (${skipped.skip} skipped by "${SKIP}", ${skipped.cut} cut from examples and checked there) in ${seconds} s: ${errors} error${errors === 1 ? '' : 's'}`,
  );
  process.exitCode = errors === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
