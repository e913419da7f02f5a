import { accessSync, constants, statSync } from 'node:fs';
import { VerifyError } from '../errors.js';
import { failureCause, type Load, type LoadCounts, type LoadOptions, request, startLoad } from '../load.js';
import type { Child } from '../processes.js';
import type { RunReport, SlowRequest } from '../report.js';
import type { ServiceSpec, ShutdownOrder } from '../service.js';

/** What the load sends, shared by the modes: the load's own options but where and for how long. */
export type LoadShape = Pick<
  LoadOptions,
  'clients' | 'get' | 'post' | 'postShare' | 'bodySize' | 'requestTimeout' | 'think' | 'check'
>;

export interface CommonRunOptions {
  readonly service: ServiceSpec;
  readonly load: LoadShape;
  /** Steady load before the first shutdown, in milliseconds. */
  readonly steady: number;
  /** The budget a shutdown must fit, in milliseconds; undefined: no budget (the exit is awaited 60 s). */
  readonly grace?: number | undefined;
  /** A path whose answer takes a while: one GET is in flight at each signal. */
  readonly slow?: string | undefined;
  readonly signal: NodeJS.Signals;
  /** Progress lines. */
  readonly progress: (line: string) => void;
}

/** How long an exit is awaited after the signal before SIGKILL, in milliseconds: the budget and 5 s, or 60 s. */
export function exitBound(grace: number | undefined): number {
  return grace === undefined ? 60_000 : grace + 5_000;
}

/** Resolves with the exit code, or SIGKILLs the child once `ms` has passed (resolving with 'SIGKILL'). */
export async function awaitExit(child: Child, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const first = await Promise.race([child.exited, late]);
  clearTimeout(timer);
  if (first !== 'late') return first;
  await child.stop('SIGKILL', 1_000);
  return 'SIGKILL';
}

/** Waits `ms` unless the child exits first: then the service crashed under load. */
export async function steadyOrCrash(child: Child, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const wait = new Promise<'waited'>((resolve) => {
    timer = setTimeout(() => resolve('waited'), ms);
  });
  const first = await Promise.race([child.exited, wait]);
  clearTimeout(timer);
  if (first !== 'waited') throw crashed(child, what);
}

export function crashed(child: Child, what: string): VerifyError {
  return new VerifyError(
    'crashed',
    `${child.name} (pid ${child.pid}) exited (${String(child.exitCode)}) ${what}, before it was signalled: it crashed under load. Its last lines:\n${child.lines.slice(-15).join('\n')}`,
  );
}

/** Sends the slow request; resolves with its outcome (bounded by its own timeout). */
export function sendSlow(port: number, slowPath: string, timeout: number): Promise<SlowRequest> {
  return request(port, false, 'GET', slowPath, undefined, timeout).then(
    (answer) =>
      answer.status >= 200 && answer.status < 300
        ? { path: slowPath, completed: true }
        : { path: slowPath, completed: false, cause: `status ${answer.status}` },
    (error: unknown) => ({ path: slowPath, completed: false, cause: failureCause(error) }),
  );
}

export function loadFor(port: number, shape: LoadShape, maxDuration: number): Load {
  return startLoad({ ...shape, port, maxDuration });
}

export function countsPart(counts: LoadCounts): Pick<RunReport, 'ok' | 'posts' | 'failed' | 'causes' | 'refused'> {
  return { ok: counts.ok, posts: counts.posts, failed: counts.failed, causes: counts.causes, refused: counts.refused };
}

export function progressLine(run: string, counts: LoadCounts): string {
  return `${run}: ${counts.ok} ok, ${counts.failed} failed, ${counts.refused} refused`;
}

/** How a signalled instance exited, and in which order its readiness and listener turned. */
export interface SignalledExit {
  /** The exit code, or the signal that ended it (`SIGKILL` past the bound). */
  readonly exitCode: number | string;
  /** Time from the signal to the exit, in milliseconds. */
  readonly signalToExit: number;
  readonly order: ShutdownOrder;
}

/** Sends the signal, awaits the exit (SIGKILL past `bound`), then stops the watcher started before it. */
export async function signalAndAwait(
  child: Child,
  signal: NodeJS.Signals,
  bound: number,
  watcher: { stop(): Promise<ShutdownOrder> },
): Promise<SignalledExit> {
  const signalled = performance.now();
  child.process.kill(signal);
  const exitCode = await awaitExit(child, bound);
  const signalToExit = Math.round(performance.now() - signalled);
  return { exitCode, signalToExit, order: await watcher.stop() };
}

/** A signalled run's report after its mode, run and instance (the keys stay in that order). */
export async function exitPart(
  options: CommonRunOptions,
  counts: LoadCounts,
  slow: Promise<SlowRequest> | undefined,
  exit: SignalledExit,
): Promise<Omit<RunReport, 'mode' | 'run' | 'instance'>> {
  return {
    ...countsPart(counts),
    ...(slow === undefined ? {} : { slow: await slow }),
    signal: options.signal,
    exitCode: exit.exitCode,
    signalToExit: exit.signalToExit,
    ...exit.order,
    ...(options.grace === undefined ? {} : { fitsGrace: exit.signalToExit <= options.grace }),
  };
}

/** The progress line of a signalled run. */
export function exitLine(run: string, counts: LoadCounts, exit: SignalledExit): string {
  return `${progressLine(run, counts)}; exit ${exit.exitCode} after ${exit.signalToExit} ms`;
}

/** `file` when it is an executable file, else undefined. */
export function executable(file: string): string | undefined {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}
