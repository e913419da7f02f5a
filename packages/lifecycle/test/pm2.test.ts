// underPm2 against a fake process: what it reads from PM2's environment, what it warns, the ready
// message, PM2's 'shutdown' message, the cluster disconnect task, and its validation.
import { EventEmitter } from 'node:events';
import { isInvalidOptionError } from '@lastcall/core';
import { createCoordinator, type Logger, PM2_WARNING_CODES, type ShutdownCoordinator, underPm2 } from '../src/index.js';
import { attachPm2, type Pm2ClusterWorker } from '../src/pm2.js';
import { PM2_DEFAULT_KILL_TIMEOUT_MS } from '../src/pm2Settings.js';

class FakeProcess extends EventEmitter {
  readonly sent: unknown[] = [];
  exitCode: number | undefined;
  exits: number[] = [];
  uptimeS = 1;
  constructor(readonly env: Record<string, string | undefined>) {
    super();
  }
  send = (message: unknown): boolean => {
    this.sent.push(message);
    return true;
  };
  exit(code: number): void {
    this.exits.push(code);
  }
  uptime(): number {
    return this.uptimeS;
  }
}

class FakeWorker extends EventEmitter implements Pm2ClusterWorker {
  connected = true;
  disconnects = 0;
  isConnected(): boolean {
    return this.connected;
  }
  disconnect(): void {
    this.disconnects++;
    this.connected = false;
    setImmediate(() => this.emit('disconnect'));
  }
}

const PM2_ENV = { pm_id: '0', exec_mode: 'cluster_mode', kill_timeout: '30000', wait_ready: 'true' };

function recordingLogger(): Logger & { warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  return { info: () => undefined, warn: (fields) => warnings.push(fields), error: () => undefined, warnings };
}

const coordinators: ShutdownCoordinator[] = [];
function setup(
  env: Record<string, string | undefined>,
  options: { deadline?: number; signals?: NodeJS.Signals[] } = {},
) {
  const proc = new FakeProcess(env);
  const logger = recordingLogger();
  const coordinator = createCoordinator({ ...options, process: proc, logger, exit: false });
  coordinators.push(coordinator);
  return { proc, logger, coordinator };
}

afterEach(() => {
  for (const coordinator of coordinators.splice(0)) coordinator.dispose();
});

test('outside PM2 (no pm_id) nothing happens: no warning, no listener, ready() sends nothing', () => {
  const { proc, logger, coordinator } = setup({});
  const pm2 = attachPm2(coordinator, { process: proc, worker: null });
  expect(pm2.detected).toBe(false);
  expect(pm2.ready()).toBe(false);
  expect(proc.sent).toEqual([]);
  expect(proc.listenerCount('message')).toBe(0);
  expect(logger.warnings).toEqual([]);
});

test('the settings of a well-configured cluster app give no warning', () => {
  const { proc, logger, coordinator } = setup(PM2_ENV);
  const pm2 = attachPm2(coordinator, { process: proc, worker: null });
  expect(pm2.detected).toBe(true);
  expect(pm2.settings).toMatchObject({
    id: '0',
    execMode: 'cluster_mode',
    killTimeout: 30_000,
    killTimeoutFrom: 'kill_timeout',
    killSignal: 'SIGINT',
    waitReady: true,
  });
  // 25 s deadline + 1.5 s for forced terminators to report + 1 s logger flush.
  expect(pm2.budget).toBe(27_500);
  expect(pm2.warnings).toEqual([]);
  expect(logger.warnings).toEqual([]);
});

test("PM2's default kill_timeout (1600 ms) under the default deadline is warned about, with the fix", () => {
  const { proc, logger, coordinator } = setup({ pm_id: '3', wait_ready: 'true' });
  const pm2 = attachPm2(coordinator, { process: proc, worker: null });
  expect(pm2.settings?.killTimeout).toBe(PM2_DEFAULT_KILL_TIMEOUT_MS);
  expect(pm2.settings?.killTimeoutFrom).toBe('default');
  expect(pm2.warnings.map((w) => w.code)).toEqual([PM2_WARNING_CODES.killTimeout]);
  expect(pm2.warnings[0]?.message).toContain('set kill_timeout to at least 27500 ms');
  expect(logger.warnings[0]).toMatchObject({ event: 'pm2', code: 'LASTCALL_PM2_KILL_TIMEOUT', budget: 27_500 });
});

test('PM2_KILL_TIMEOUT is used when the app sets no kill_timeout; a deadline that fits gives no warning', () => {
  const { proc, coordinator } = setup(
    { pm_id: '0', wait_ready: 'true', PM2_KILL_TIMEOUT: '12000' },
    { deadline: 9_000 },
  );
  const pm2 = attachPm2(coordinator, { process: proc, worker: null });
  expect(pm2.settings).toMatchObject({ killTimeout: 12_000, killTimeoutFrom: 'PM2_KILL_TIMEOUT' });
  expect(pm2.warnings).toEqual([]);
});

test('an infinite deadline never fits kill_timeout', () => {
  const { proc, coordinator } = setup(PM2_ENV, { deadline: Number.POSITIVE_INFINITY });
  const pm2 = attachPm2(coordinator, { process: proc, worker: null });
  expect(pm2.warnings.map((w) => w.code)).toEqual([PM2_WARNING_CODES.killTimeout]);
  expect(pm2.warnings[0]?.message).toContain('finite deadline');
});

test('a stop signal the coordinator does not listen to, and wait_ready off, are warned about', () => {
  const { proc, coordinator } = setup(
    { pm_id: '0', kill_timeout: '30000', PM2_KILL_SIGNAL: 'SIGQUIT' },
    { signals: ['SIGTERM'] },
  );
  const pm2 = attachPm2(coordinator, { process: proc, worker: null });
  expect(pm2.settings?.killSignal).toBe('SIGQUIT');
  expect(pm2.warnings.map((w) => w.code)).toEqual([PM2_WARNING_CODES.signal, PM2_WARNING_CODES.waitReady]);
});

test('with shutdown_with_message no signal is needed', () => {
  const { proc, coordinator } = setup({ ...PM2_ENV, shutdown_with_message: 'true' }, { signals: [] });
  expect(attachPm2(coordinator, { process: proc, worker: null }).warnings).toEqual([]);
});

test("ready() sends 'ready' once; after listen_timeout it warns that PM2 stopped waiting", () => {
  const { proc, coordinator } = setup({ ...PM2_ENV, listen_timeout: '4000' });
  const pm2 = attachPm2(coordinator, { process: proc, worker: null });
  proc.uptimeS = 5;
  expect(pm2.ready()).toBe(true);
  expect(pm2.ready()).toBe(false);
  expect(proc.sent).toEqual(['ready']);
  expect(pm2.warnings.map((w) => w.code)).toEqual([PM2_WARNING_CODES.lateReady]);
});

test("PM2's 'shutdown' message starts the shutdown; other messages are ignored; dispose() removes the listener", async () => {
  const { proc, coordinator } = setup(PM2_ENV);
  const pm2 = attachPm2(coordinator, { process: proc, worker: null });
  proc.emit('message', { type: 'log:reload' });
  proc.emit('message', 'shutdown-please');
  expect(coordinator.state).toBe('idle');
  proc.emit('message', 'shutdown');
  expect(coordinator.state).not.toBe('idle');
  const report = await coordinator.shutdown();
  expect(report.reason).toBe('manual');
  pm2.dispose();
  expect(proc.listenerCount('message')).toBe(0);
});

test('in cluster mode the worker leaves the cluster after the servers phase, before the other onShutdown tasks', async () => {
  const { proc, coordinator } = setup(PM2_ENV);
  const worker = new FakeWorker();
  const order: string[] = [];
  coordinator.task('db', () => {
    order.push(`db (connected=${worker.connected})`);
  });
  attachPm2(coordinator, { process: proc, worker });
  const report = await coordinator.shutdown();
  expect(worker.disconnects).toBe(1);
  expect(order).toEqual(['db (connected=false)']);
  const step = report.phases.find((phase) => phase.phase === 'onShutdown')?.steps[0];
  expect(step).toMatchObject({ name: 'pm2: leave the cluster', outcome: 'ok' });
});

test('bad arguments are refused, naming them', () => {
  const { proc, coordinator } = setup(PM2_ENV);
  expect(() => underPm2({} as never)).toThrow(/underPm2: option "coordinator"/);
  expect(() => underPm2({ task: () => undefined, shutdown: () => undefined } as never)).toThrow(/"coordinator"/);
  // The real process (no pm_id under jest): detected false, nothing attached.
  const outside = underPm2(coordinator);
  expect(outside.detected).toBe(process.env.pm_id !== undefined);
  outside.dispose();
  expect(() => attachPm2(coordinator, { process: proc, worker: null, killTimeout: 1 } as never)).toThrow(
    /"killTimeout"/,
  );
  expect(() => attachPm2(coordinator, { process: {} as never })).toThrow(/"process"/);
  expect(() => attachPm2(coordinator, { process: proc, worker: 'w' as never })).toThrow(/"worker"/);
  let caught: unknown;
  try {
    attachPm2(coordinator, { process: proc, worker: 42 as never });
  } catch (error) {
    caught = error;
  }
  expect(isInvalidOptionError(caught)).toBe(true);
});
