// @lastcall/test-kit: the test helpers more than one package uses, each written once.
// Private: resolved from src by jest's moduleNameMapper and the root tsconfig paths, never built.

export { CLIENT_WAIT_MS, PATIENT_GRACE_MS, SETTLE_BOUND_MS } from './bounds';
export { type ClockLike, countingClock } from './clock';
export { neverAnswers } from './handlers';
export { internals, type TerminatorInternals } from './internals';
export { collect, connectRaw, parseResponse, type RawOutcome, readAll, readUntil, whenClosed } from './raw';
export {
  closeQuietly,
  type Handler,
  type Http1Kind,
  listenerCounts,
  openConnections,
  type Started,
  startHttp1,
} from './servers';
export { type Deferred, deferred, once, sleep, within } from './signals';
export {
  describeSmoke,
  type ExampleProcess,
  KeepAliveLoad,
  type ListenerKind,
  type LoadCounts,
  runSmoke,
  SMOKE_CLIENTS,
  SMOKE_MIN_OK,
  SMOKE_REQUEST_TIMEOUT_MS,
  SMOKE_STEP_BOUND_MS,
  type SmokeOptions,
  type SmokeResult,
  startExample,
  WORKSPACE_ROOT,
} from './smoke';
export { TLS_FIXTURE_PATHS, tlsMaterial } from './tls';
