import { accessSync, constants, statSync } from 'node:fs';
import { VerifyError } from '../errors.js';
import { type Answer, failureCause, type Load, type LoadCounts, request, startLoad } from '../load.js';
import type { Child } from '../processes.js';
import type { RunReport, SlowRequest } from '../report.js';
import type { ServiceSpec } from '../service.js';

/** What the load sends, shared by the modes. */
export interface LoadShape {
  readonly clients?: number;
  readonly get?: readonly string[];
  readonly post?: readonly string[];
  readonly postShare?: number;
  readonly bodySize?: number;
  readonly requestTimeout?: number;
  readonly think?: number;
  readonly check?: (answer: Answer) => boolean;
}

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

/** `file` when it is an executable file, else undefined. */
export function executable(file: string): string | undefined {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}
