// One owner of the signals: other listeners on the signals the coordinator answers (the
// OpenTelemetry SDK's README handler, NestJS' enableShutdownHooks, close-with-grace, terminus)
// would run their own shutdown beside ours, in no order with it, and often exit first. They are
// found through the public `process.listeners()` and named in a warning with the fix.
import type { Logger } from './logger.js';
import type { ProcessLike, ProcessListener } from './ProcessLike.js';

/** A process that can list its listeners (`globalThis.process` can; a test's emitter too). */
type Listing = ProcessLike & { listeners(event: string): ProcessListener[] };

const canList = (process: ProcessLike): process is Listing =>
  typeof (process as Partial<Listing>).listeners === 'function';

/** The fix, said once: what to do instead of a listener of one's own. */
export const SIGNAL_OWNER_FIX =
  'remove it and register its cleanup as a step: coordinator.task(name, fn) ' +
  "(OpenTelemetry: instrumentShutdown(coordinator, { flush: () => sdk.shutdown() }) from @lastcall/otel, no process.on('SIGTERM'); " +
  'NestJS: no app.enableShutdownHooks(), use @lastcall/nestjs; close-with-grace, terminus: one shutdown library per process)';

function describeListener(listener: ProcessListener): string {
  return listener.name ? `function ${listener.name}` : 'an anonymous function';
}

/**
 * Warns about every listener on `signals` that is not one of `own`, once per signal and listener
 * (`warned` remembers them; one function may listen to several signals).
 */
export function warnForeignListeners(
  process: ProcessLike,
  signals: readonly NodeJS.Signals[],
  own: ReadonlySet<ProcessListener>,
  warned: Map<string, Set<ProcessListener>>,
  logger: Logger,
  when: 'start' | 'signal',
): void {
  if (!canList(process)) return;
  for (const signal of signals) {
    const seen = warned.get(signal) ?? new Set<ProcessListener>();
    warned.set(signal, seen);
    const foreign = process.listeners(signal).filter((listener) => !own.has(listener) && !seen.has(listener));
    if (foreign.length === 0) continue;
    for (const listener of foreign) seen.add(listener);
    const names = foreign.map(describeListener).join(', ');
    const count = `${foreign.length} other listener${foreign.length === 1 ? '' : 's'}`;
    logger.warn(
      { event: 'foreign-signal-listener', signal, listeners: foreign.length, when },
      `lastcall: ${signal} has ${count} besides the coordinator (${names})${when === 'signal' ? ', added after createCoordinator' : ''}: ` +
        `it runs its own shutdown beside this one, in no order with it, and may exit first. Fix: ${SIGNAL_OWNER_FIX}`,
    );
  }
}
