// The three shutdowns: a signal to the service itself (`signal`), rolling restarts of instances
// behind a generated HAProxy or nginx (`rolling`), and `pm2 reload` of the user's ecosystem file
// (`pm2`). Each run keeps the load going across the shutdown and reports what the clients saw.
// Every process started here is stopped by its pid before the function returns or throws.
export type { CommonRunOptions, LoadShape } from './run/common.js';
export { type Pm2RunOptions, runPm2 } from './run/pm2.js';
export { type RollingOutcome, type RollingRunOptions, runRolling } from './run/rolling.js';
export { runSignal, type SignalOptions } from './run/signal.js';
