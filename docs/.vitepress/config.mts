// The docs site: VitePress over docs/, built by `pnpm docs:build` (TypeDoc writes docs/api/ first).
// Plain Markdown pages that also read well on GitHub; a broken internal link fails the build.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitepress';

const docsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(docsDir, '..');

/**
 * The repository's web address, from the root package.json's `repository` field, so links from
 * a page to a source or test file (`../packages/core/test/...`) open that file on the forge.
 * Without the field those links stay relative (they work on GitHub, not on the site).
 */
function repositoryUrl(): string | undefined {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    repository?: string | { url?: string };
  };
  const raw = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  if (!raw) return undefined;
  return raw
    .replace(/^git\+/, '')
    .replace(/\.git$/, '')
    .replace(/^github:/, 'https://github.com/');
}
const repo = repositoryUrl();

// Pages other branches of issue 12 and its siblings write (health, load balancers, cluster, pm2,
// framework guides). Links to them must not fail this build before they are merged; once they
// exist the check covers them like any page. Remove an entry when its page lands.
const guides = [
  ['express', 'Express'],
  ['koa', 'Koa'],
  ['hono', 'Hono'],
  ['fastify', 'Fastify'],
  ['nestjs', 'NestJS'],
  ['node-http', 'http, https, http2'],
  ['websocket', 'WebSockets'],
] as const;

export default defineConfig({
  title: 'lastcall',
  description: 'Graceful shutdown for Node.js servers',
  // README.md files are for GitHub's folder view; the site has its own landing page.
  srcExclude: ['**/README.md'],
  cleanUrls: true,
  lastUpdated: false,
  markdown: {
    config(md) {
      // A link from a page to a file outside docs/ (a test, a fixture) points at the repository.
      const render = md.renderer.rules.link_open;
      md.renderer.rules.link_open = (tokens, index, options, env, self) => {
        const token = tokens[index];
        const href = token?.attrGet('href');
        const from = (env as { path?: string }).path;
        if (token && href && from && repo && !/^[a-z]+:/i.test(href) && !href.startsWith('#')) {
          const target = path.resolve(path.dirname(from), href.split('#')[0] ?? '');
          if (!target.startsWith(docsDir + path.sep)) {
            const hash = href.includes('#') ? href.slice(href.indexOf('#')) : '';
            token.attrSet(
              'href',
              `${repo}/blob/HEAD/${path.relative(repoRoot, target).split(path.sep).join('/')}${hash}`,
            );
          }
        }
        return render ? render(tokens, index, options, env, self) : self.renderToken(tokens, index, options);
      };
    },
  },
  themeConfig: {
    // Local search: built from the pages at build time, nothing fetched from the web.
    search: { provider: 'local' },
    nav: [
      { text: 'Guide', link: '/getting-started' },
      { text: 'API', link: '/api/' },
      { text: 'Benchmarks', link: '/benchmarks' },
      ...(repo ? [{ text: 'Source', link: repo }] : []),
    ],
    sidebar: [
      {
        text: 'Start',
        items: [
          { text: 'Getting started', link: '/getting-started' },
          { text: 'Concepts', link: '/concepts' },
          { text: 'Runtimes: Node, Deno, Bun', link: '/runtimes' },
          { text: 'Troubleshooting', link: '/troubleshooting' },
          { text: 'FAQ', link: '/faq' },
        ],
      },
      {
        text: 'Framework guides',
        items: guides.map(([file, text]) => ({ text, link: `/guides/${file}` })),
      },
      {
        text: 'Packages',
        items: [
          { text: '@lastcall/core', link: '/core' },
          { text: 'HTTP/2', link: '/http2' },
          { text: '@lastcall/ws (WebSocket)', link: '/websocket' },
          { text: 'Server-sent events', link: '/sse' },
          { text: '@lastcall/lifecycle', link: '/lifecycle' },
          { text: '@lastcall/health', link: '/health' },
          { text: '@lastcall/otel (OpenTelemetry)', link: '/otel' },
          { text: '@lastcall/cluster', link: '/cluster' },
          { text: '@lastcall/fastify', link: '/fastify' },
          { text: '@lastcall/nestjs', link: '/nestjs' },
          { text: 'Writing a strategy', link: '/writing-a-strategy' },
        ],
      },
      {
        text: 'Deploying',
        items: [
          { text: 'Health probes', link: '/health' },
          { text: 'Kubernetes', link: '/kubernetes' },
          { text: 'Load balancers', link: '/load-balancers' },
          { text: 'node:cluster', link: '/cluster' },
          { text: 'PM2', link: '/pm2' },
        ],
      },
      {
        text: 'Migrating',
        items: [
          { text: 'From http-terminator', link: '/migrate/http-terminator' },
          { text: 'From stoppable', link: '/migrate/stoppable' },
          { text: 'From @godaddy/terminus', link: '/migrate/terminus' },
          { text: 'From lightship', link: '/migrate/lightship' },
          { text: 'From http-graceful-shutdown', link: '/migrate/http-graceful-shutdown' },
          { text: 'Comparison', link: '/comparison' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'API (TypeDoc)', link: '/api/' },
          { text: 'Architecture', link: '/architecture' },
          { text: 'Reliability', link: '/reliability' },
          { text: 'Benchmarks', link: '/benchmarks' },
        ],
      },
    ],
  },
});
