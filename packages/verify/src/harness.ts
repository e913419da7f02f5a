// The harness under the CLI, for this repository's own end-to-end tests and benchmarks
// (packages/e2e imports it by path). Not part of the published entry: no semver promise.
export * from './balancers.js';
export * from './load.js';
export * from './processes.js';
export * from './run.js';
export * from './service.js';
