// One owner of the signals: a listener of another library on a signal the coordinator answers is
// named in a warning with the fix, at createCoordinator and (if added later) at the signal.
import { EventEmitter } from 'node:events';
import { createCoordinator, type Logger, type ProcessLike } from '@lastcall/lifecycle';
import closeWithGrace from 'close-with-grace';

function listingProcess(): ProcessLike & { emitter: EventEmitter; exits: number[] } {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return {
    emitter,
    exits,
    on: (event, listener) => emitter.on(event, listener),
    removeListener: (event, listener) => emitter.removeListener(event, listener),
    // What the coordinator reads to find other listeners, as on `process`.
    listeners: (event: string) => emitter.listeners(event),
    exit: (code) => void exits.push(code),
  } as ProcessLike & { emitter: EventEmitter; exits: number[] };
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    info: () => undefined,
    warn: (_fields: unknown, message?: string) => void warnings.push(String(message)),
    error: () => undefined,
  } as Logger & { warnings: string[] };
}

test('a listener already on SIGTERM is named at start, with the fix', () => {
  const process = listingProcess();
  process.emitter.on('SIGTERM', function otelShutdown() {});
  const logger = recordingLogger();
  const coordinator = createCoordinator({ process, logger, exit: false });
  try {
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(
      /SIGTERM has 1 other listener besides the coordinator \(function otelShutdown\)/,
    );
    expect(logger.warnings[0]).toMatch(/Fix: remove it and register its cleanup as a step: coordinator\.task/);
  } finally {
    coordinator.dispose();
  }
});

test('a listener added after createCoordinator is named when the signal arrives, once', async () => {
  const process = listingProcess();
  const logger = recordingLogger();
  const coordinator = createCoordinator({ process, logger, exit: false });
  expect(logger.warnings).toEqual([]);
  process.emitter.on('SIGINT', () => undefined); // as NestJS' enableShutdownHooks(), called later
  process.emitter.emit('SIGINT', 'SIGINT');
  await coordinator.shutdown();
  expect(logger.warnings.filter((line) => line.includes('other listener'))).toEqual([
    expect.stringMatching(
      /SIGINT has 1 other listener besides the coordinator \(an anonymous function\), added after createCoordinator/,
    ),
  ]);
});

test('no other listener: no warning', async () => {
  const process = listingProcess();
  const logger = recordingLogger();
  const coordinator = createCoordinator({ process, logger, exit: false });
  process.emitter.emit('SIGTERM', 'SIGTERM');
  await coordinator.shutdown();
  expect(logger.warnings).toEqual([]);
});

test("close-with-grace's real listeners on the real process are found", () => {
  const logger = recordingLogger();
  // close-with-grace installs process.once listeners on SIGTERM and SIGINT (and error events).
  const grace = closeWithGrace({ delay: 500 }, async () => undefined);
  const coordinator = createCoordinator({ logger, exit: false, signals: ['SIGTERM', 'SIGINT'] });
  try {
    const named = logger.warnings.filter((line) => line.includes('function onSignal'));
    expect(named.map((line) => line.slice(0, 'lastcall: SIGTERM'.length))).toEqual([
      'lastcall: SIGTERM',
      'lastcall: SIGINT ',
    ]);
  } finally {
    coordinator.dispose();
    grace.uninstall();
  }
});

test('a second createCoordinator on the same process is an error that says what to do', () => {
  const process = listingProcess();
  const coordinator = createCoordinator({ process, logger: false, exit: false });
  try {
    expect(() => createCoordinator({ process, logger: false, exit: false })).toThrow(
      /already has a shutdown coordinator; register with it, or dispose\(\) it/,
    );
  } finally {
    coordinator.dispose();
  }
});
