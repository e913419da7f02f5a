/**
 * Prove a service shuts down without failing a request: `verify()` starts it, drives keep-alive
 * load, shuts it down under that load (a signal, rolling restarts behind HAProxy or nginx, `pm2
 * reload`) and reports what the clients saw. The CLI `lastcall-verify` is the same as a command.
 *
 * @packageDocumentation
 */
export { isVerifyError, VerifyError, type VerifyErrorKind } from './errors.js';
export { formatReport, type RunReport, type SlowRequest, type VerifyMode, type VerifyReport } from './report.js';
export { type VerifyOptions, verify } from './verify.js';
