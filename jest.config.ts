// One jest config for the whole workspace: tests run against each package's src/,
// never against dist/, so a change is tested without a build.
import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/fixtures', '<rootDir>/examples', '<rootDir>/scripts'],
  testMatch: ['**/test/**/*.test.ts'],
  // The leak tests need the collector by hand: they run in the second half of `pnpm test`
  // (node --expose-gc, in band) and are left out of a run that has no global.gc.
  // The end-to-end tests (real HAProxy and nginx, `*.e2e.test.ts`) run once, in their own CI step
  // (`pnpm test:e2e`, jest.e2e.config.ts).
  testPathIgnorePatterns: [
    '\\.e2e\\.test\\.ts$',
    ...(typeof (globalThis as { gc?: unknown }).gc === 'function' ? [] : ['\\.leak\\.test\\.ts$']),
  ],
  transform: {
    // p-timeout is ESM-only: ts-jest turns it (and our sources) into CommonJS for jest's loader.
    '^.+\\.[cm]?[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/[^/]+/node_modules/)?p-timeout/)'],
  moduleNameMapper: {
    // Each package by its bare name (there are no subpath entries), to its TypeScript source.
    '^@lastcall/([a-z0-9-]+)$': '<rootDir>/packages/$1/src/index.ts',
    // Sources import './x.js' (NodeNext style); inside jest they resolve to './x.ts'.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30_000,
  // Real servers on loopback: two workers on a two-core machine keep timings honest.
  maxWorkers: 2,
};

export default config;
