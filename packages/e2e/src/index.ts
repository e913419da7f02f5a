// @lastcall/e2e: the harness of the end-to-end tests and of the rolling-restart benchmark.
// Private: resolved from src by jest's moduleNameMapper and the root tsconfig paths, never built.
export * from './balancers';
export * from './load';
export * from './processes';
export * from './protocol';
export * from './rolling';
export { describeWith } from './skip';
