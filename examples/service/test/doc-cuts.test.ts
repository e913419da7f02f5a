// The docs' snippets marked `<!-- cut from examples/service/... -->` are cut from files this
// example runs (its end-to-end test runs them against real servers): each must still be there,
// line for line (indentation aside), so a guide cannot drift from the code that is proven.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const MARK = /<!-- cut from (examples\/service\/[^\s]+) -->\s*```ts\n([\s\S]*?)\n```/g;

function markdown(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name.startsWith('.') ? [] : markdown(full);
    return entry.name.endsWith('.md') ? [full] : [];
  });
}

const normalize = (text: string): string =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n');

const cuts = markdown(path.join(root, 'docs')).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(MARK)].map((match) => ({
    doc: path.relative(root, file),
    source: match[1] as string,
    snippet: match[2] as string,
  })),
);

test('the docs carry cuts from examples/service', () => {
  // lifecycle.md (the ordered shutdown) and otel.md (the SDK and its flush) at least.
  expect(new Set(cuts.map((cut) => cut.doc))).toEqual(new Set(['docs/lifecycle.md', 'docs/otel.md']));
});

test.each(cuts.map((cut) => [cut.doc, cut.source, cut.snippet]))(
  '%s: the cut from %s is still in it',
  (_doc, source, snippet) => {
    const code = normalize(readFileSync(path.join(root, source), 'utf8'));
    expect(code).toContain(normalize(snippet));
  },
);
