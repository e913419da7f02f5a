// @lastcall/e2e: this repository's own backend and its end-to-end tests, run through the harness of
// @lastcall/verify (packages/verify/src/harness.ts: load, balancers, processes, rolling restarts),
// so the CLI users run and our own proofs are one code. Private: resolved from src by jest's
// moduleNameMapper and the root tsconfig paths, never built.
export * from '../../verify/src/harness';
export * from './protocol';
export * from './rolling';
export { describeWith } from './skip';
