// Workspace-wide conventions that no single package's tests can see: one naming rule for
// durations over every public name (read from the API reports, packages/*/etc/*.api.md, which
// `pnpm api:check` keeps equal to the built surface), and no import cycle in any package's
// sources or the benchmarks (runtime or type-only), read with TypeScript's parser.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../..');

/** Source trees whose relative imports must form no cycle. */
const SOURCE_TREES = [
  ...readdirSync(path.join(root, 'packages'))
    .map((name) => path.join('packages', name, 'src'))
    .filter((dir) => existsSync(path.join(root, dir))),
  'benchmarks/src',
];

interface Edge {
  readonly to: string;
  /** `import type`, or every named binding marked `type`: gone at run time. */
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|mts|cts)$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => path.join(dir, file));
}

function resolveImport(from: string, specifier: string): string | undefined {
  const base = path.join(path.dirname(from), specifier.replace(/\.(c|m)?js$/, ''));
  for (const candidate of [`${base}.ts`, `${base}.mts`, `${base}.cts`, path.join(base, 'index.ts')]) {
    if (existsSync(path.join(root, candidate))) return candidate;
  }
  return undefined;
}

function edgesOf(file: string): Edge[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined;
    let typeOnly = false;
    if (ts.isImportDeclaration(statement)) {
      specifier = statement.moduleSpecifier;
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((element) => element.isTypeOnly)));
    } else if (ts.isExportDeclaration(statement)) {
      specifier = statement.moduleSpecifier;
      const clause = statement.exportClause;
      typeOnly =
        statement.isTypeOnly ||
        (clause !== undefined &&
          ts.isNamedExports(clause) &&
          clause.elements.length > 0 &&
          clause.elements.every((element) => element.isTypeOnly));
    }
    if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    const to = resolveImport(file, specifier.text);
    if (to !== undefined) edges.push({ to, typeOnly });
  }
  return edges;
}

/** Every cycle found by a depth-first walk (one per back edge), as `a -> b -> a`. */
function cycles(graph: ReadonlyMap<string, readonly Edge[]>, runtimeOnly: boolean): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const edge of graph.get(file) ?? []) {
      if (runtimeOnly && edge.typeOnly) continue;
      const seen = state.get(edge.to);
      if (seen === 'open') found.push([...stack.slice(stack.indexOf(edge.to)), edge.to]);
      else if (seen === undefined && graph.has(edge.to)) visit(edge.to);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

const graph = new Map<string, Edge[]>();
for (const tree of SOURCE_TREES) {
  for (const file of sourceFiles(tree)) graph.set(file.split(path.sep).join('/'), edgesOf(file));
}
for (const edges of graph.values()) {
  edges.forEach((edge, i) => {
    edges[i] = { ...edge, to: edge.to.split(path.sep).join('/') };
  });
}

describe('import cycles', () => {
  it('reads the sources it is meant to check', () => {
    // A walk that found nothing to read would pass for the wrong reason.
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.has('benchmarks/src/targets.ts')).toBe(true);
    expect(graph.has('packages/health/src/Health.ts')).toBe(true);
  });

  it('has no runtime import cycle in any package or the benchmarks', () => {
    expect(cycles(graph, true).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('has no type-only import circle either', () => {
    expect(cycles(graph, false).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });
});

/**
 * Durations are milliseconds with no unit in the name (as Node's `keepAliveTimeout`), so a public
 * name ending in a unit is a mistake: `timeoutMs`, `DEFAULT_DELAY_MS`, `periodSec`.
 */
const UNIT_SUFFIX = /(Ms|Millis|Sec|Seconds|_MS|_MILLIS|_SEC|_SECONDS)$/;

/** Names that mirror an external configuration key keep its unit (Kubernetes' probe and pod fields). */
// Keys that mirror another system's own configuration keep its name and unit: Kubernetes'
// manifest fields and systemd's TimeoutStopSec.
const EXTERNAL_KEYS = new Set(['terminationGracePeriodSeconds', 'periodSeconds', 'TimeoutStopSec']);

function apiReports(): Map<string, string> {
  const reports = new Map<string, string>();
  for (const name of readdirSync(path.join(root, 'packages')).sort()) {
    const file = path.join(root, 'packages', name, 'etc', `${name}.api.md`);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
    // API Extractor's own `// Warning:` and `// @public` lines are not the surface.
    reports.set(name, code.replace(/^\s*\/\/.*$/gm, ''));
  }
  return reports;
}

/** Every identifier of a report's declarations (names, members, parameters), strings left out. */
function identifiers(code: string): Set<string> {
  const source = ts.createSourceFile('report.d.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) names.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

describe('the duration naming rule over the API reports', () => {
  const reports = apiReports();

  it('reads every published package', () => {
    expect([...reports.keys()]).toEqual(expect.arrayContaining(['core', 'health', 'lifecycle', 'cluster', 'ws']));
    for (const [name, code] of reports)
      expect({ name, size: identifiers(code).size > 5 }).toEqual({ name, size: true });
  });

  it('finds a unit suffix when there is one (the check can fail)', () => {
    const names = identifiers(
      'export interface X { readonly timeoutMs: number; periodSec?: number }\nexport const DEFAULT_DELAY_MS = 1;',
    );
    expect([...names].filter((name) => UNIT_SUFFIX.test(name))).toEqual(['timeoutMs', 'periodSec', 'DEFAULT_DELAY_MS']);
  });

  it('has no public name ending in a unit, except external keys', () => {
    const offenders: string[] = [];
    for (const [pkg, code] of reports) {
      for (const name of identifiers(code)) {
        if (!UNIT_SUFFIX.test(name) || EXTERNAL_KEYS.has(name)) continue;
        offenders.push(`@lastcall/${pkg}: ${name}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

/** The names a report exports (`export class X`, `export type X`, `export const X`...). */
function exportedNames(code: string): string[] {
  return [
    ...code.matchAll(
      /^export (?:declare )?(?:abstract )?(?:const|function|class|interface|type|enum) ([A-Za-z_$][\w$]*)/gm,
    ),
  ].map((match) => match[1] ?? '');
}

/** The docs (without the generated API reference) and the examples: where a user meets a name. */
function userFacingText(): string {
  const texts: string[] = [readFileSync(path.join(root, 'README.md'), 'utf8')];
  for (const dir of ['docs', 'examples']) {
    for (const file of readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (file.includes('node_modules') || file.startsWith('api/') || !/\.(md|ts)$/.test(file)) continue;
      texts.push(readFileSync(path.join(root, dir, file), 'utf8'));
    }
  }
  return texts.join('\n');
}

/**
 * The packages issue 15 counted (212 names then, at most 120 now). Packages added since
 * (`@lastcall/verify`...) keep their own surface; the naming rule above still covers them.
 */
const COUNTED = ['core', 'ws', 'health', 'lifecycle', 'cluster', 'fastify', 'nestjs'];

describe('the public surface', () => {
  const reports = new Map([...apiReports()].filter(([pkg]) => COUNTED.includes(pkg)));

  it('names every exported name in a doc or an example', () => {
    const text = userFacingText();
    const missing: string[] = [];
    for (const [pkg, code] of reports) {
      for (const name of exportedNames(code)) {
        if (!new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(text)) missing.push(`@lastcall/${pkg}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has at most 120 names in all, at most 30 in core', () => {
    const counts = Object.fromEntries([...reports].map(([pkg, code]) => [pkg, exportedNames(code).length]));
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    expect(Object.keys(counts).sort()).toEqual([...COUNTED].sort());
    expect(total).toBeLessThanOrEqual(120);
    expect(counts.core).toBeLessThanOrEqual(30);
  });
});
