// The end-to-end tests alone (real HAProxy and nginx in front of backend processes, PM2): `pnpm test:e2e`.
// The main config leaves them out; CI runs them once, in their own step.
import type { Config } from 'jest';
import base from './jest.config';

const config: Config = {
  ...base,
  testMatch: ['**/test/**/*.e2e.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // Each file starts a balancer and backend processes of its own: one at a time on 2 cores.
  maxWorkers: 1,
};

export default config;
