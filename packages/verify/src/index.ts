// @lastcall/verify: prove a service shuts down without failing a request. The CLI is
// `lastcall-verify` (cli.ts); this entry is the same as a function, for a test of your own.
export { isVerifyError, VerifyError, type VerifyErrorKind } from './errors.js';
export { formatReport, type RunReport, type SlowRequest, type VerifyMode, type VerifyReport } from './report.js';
export { type VerifyOptions, verify } from './verify.js';
