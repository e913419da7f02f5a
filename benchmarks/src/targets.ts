// lastcall's targets (issue 5), checked against lastcall's own rows of a run. The smoke run gates
// on them (except CPU); the page prints them. No check compares lastcall's timings with a peer's.
import { LASTCALL, LASTCALL_GRACE0 } from './adapters/index.js';
import {
  type BenchRun,
  cpuRows,
  droppedRows,
  http2Rows,
  idleRows,
  memoryRows,
  overshootRows,
  webSocketRows,
} from './report/model.js';

/** The targets, each defined once here. Times in ms, memory in bytes. */
export const TARGETS = {
  droppedPerRun: 0,
  overshootMedianMs: 1,
  overshootMaxMs: 3,
  /** lastcall (idle grace 0) closing 5000 idle connections, over the raw destroy floor. */
  idleRatio: 1.2,
  idleConnections: 5_000,
  http2AfterLastStreamMs: 5,
  webSocketAfterLastCloseMs: 50,
  webSocketCode: 1001,
  cpuRatio: 1.03,
  memoryBytes: 300,
} as const;

/**
 * Smoke's bound for the idle-close ratio. Looser than the target: one CI run of a few pairs swings
 * widely (two consecutive floors of the same work differed by up to 2x here), so smoke guards
 * against a regression of the kind it caught before (2.5x, waiting for every socket's `close`),
 * not against the 1.2x target itself, which the full run on docs/benchmarks.md judges.
 */
export const SMOKE_IDLE_RATIO = 2;

/**
 * Smoke's bounds for overshoot, in milliseconds. One scheduling hiccup among a CI run's 19
 * short runs made a 5 ms maximum once (median 0.72 ms): smoke guards against a timer or a poll
 * in the path (a 10 ms poll shows as a median of several ms), the full run judges 1 ms / 3 ms.
 */
export const SMOKE_OVERSHOOT_MEDIAN_MS = 1.5;
export const SMOKE_OVERSHOOT_MAX_MS = 20;

export interface TargetCheck {
  readonly id: string;
  readonly title: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
  /** False for targets the smoke run only reports (CPU: too noisy for CI). */
  readonly gated: boolean;
  /** How far off, in the target's own unit, when missed. */
  readonly missBy: string | undefined;
  /**
   * True when a miss is a time, ratio or size bound only: everything was delivered and resolved.
   * Smoke measures such a scenario once more before it fails (scheduling noise); a miss of
   * correctness (a drop, a cut stream, a wrong close code, an unresolved terminate) fails at once.
   */
  readonly timingOnly: boolean;
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;
const x = (value: number): string => `${value.toFixed(3)}x`;

export function checkTargets(run: BenchRun): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const smoke = run.mode === 'smoke';

  const dropped = droppedRows(run).find((row) => row.adapter === LASTCALL.id);
  if (dropped) {
    const worst = dropped.runs > 0 ? dropped.dropped.max : Number.NaN;
    const met = dropped.runs > 0 && !dropped.error && worst === TARGETS.droppedPerRun && dropped.unresolved === 0;
    checks.push({
      id: 'dropped',
      title: 'Dropped under keep-alive load',
      target: '0 in every run',
      measured: `${dropped.droppedTotal} in ${dropped.runs} runs (worst run ${worst}); ${dropped.ok} ok, ${dropped.refused} refused${dropped.error ? `; ${dropped.error}` : ''}`,
      met,
      gated: true,
      missBy: met ? undefined : `${dropped.droppedTotal} dropped`,
      timingOnly: false,
    });
  }

  const overshoot = overshootRows(run).find((row) => row.adapter === LASTCALL.id);
  if (overshoot) {
    const { median, max, n } = overshoot.overshootMs;
    const complete = overshoot.completed === overshoot.inFlight && overshoot.unresolved === 0;
    const medianBound = smoke ? SMOKE_OVERSHOOT_MEDIAN_MS : TARGETS.overshootMedianMs;
    const maxBound = smoke ? SMOKE_OVERSHOOT_MAX_MS : TARGETS.overshootMaxMs;
    const met = n > 0 && complete && median <= medianBound && max <= maxBound;
    checks.push({
      id: 'overshoot',
      title: 'Overshoot after the last response',
      target: `median <= ${medianBound} ms, max <= ${maxBound} ms${smoke ? ` (smoke bounds; the target is ${TARGETS.overshootMedianMs} ms / ${TARGETS.overshootMaxMs} ms)` : ''}`,
      measured: `median ${ms(median)}, max ${ms(max)} over ${n} runs after the first (first run ${ms(overshoot.firstMs)}); ${overshoot.completed}/${overshoot.inFlight} in-flight responses complete`,
      met,
      gated: true,
      missBy: met
        ? undefined
        : [
            median > medianBound ? `median +${ms(median - medianBound)}` : '',
            max > maxBound ? `max +${ms(max - maxBound)}` : '',
            complete ? '' : 'responses cut or terminate() unresolved',
          ]
            .filter(Boolean)
            .join(', '),
      timingOnly: !met && n > 0 && complete,
    });
  }

  const idle = idleRows(run);
  const grace0 = idle.find((row) => row.adapter === LASTCALL_GRACE0.id && row.connections === TARGETS.idleConnections);
  if (grace0) {
    const bound = smoke ? SMOKE_IDLE_RATIO : TARGETS.idleRatio;
    const ratio = grace0.ratio.median;
    const met = grace0.runs > 0 && grace0.unresolved === 0 && ratio <= bound;
    const byDefault = idle.find((row) => row.adapter === LASTCALL.id && row.connections === TARGETS.idleConnections);
    checks.push({
      id: 'idle',
      title: `Idle close of ${TARGETS.idleConnections} (idle grace 0)`,
      target: `<= ${x(bound)} the raw destroy floor${smoke ? ` (smoke bound; the target is ${x(TARGETS.idleRatio)})` : ''}`,
      measured:
        `${x(ratio)} (median of ${grace0.runs} pairs: ${ms(grace0.libMs.median)} vs floor ${ms(grace0.floorMs.median)})` +
        (byDefault ? `; default grace: ${ms(byDefault.libMs.median)}, ${x(byDefault.ratio.median)}` : ''),
      met,
      gated: true,
      missBy: met ? undefined : `${x(ratio)} vs ${x(bound)}`,
      timingOnly: !met && grace0.runs > 0 && grace0.unresolved === 0,
    });
  }

  const h2 = http2Rows(run).find((row) => row.adapter === LASTCALL.id);
  if (h2) {
    const max = h2.afterLastStreamMs.max;
    const delivered =
      h2.runs > 0 &&
      !h2.error &&
      h2.goaways === h2.sessions &&
      h2.streamsCompleted === h2.streams &&
      h2.unresolved === 0;
    const met = delivered && max <= TARGETS.http2AfterLastStreamMs;
    checks.push({
      id: 'http2',
      title: 'HTTP/2: GOAWAY, streams complete, prompt resolve',
      target: `GOAWAY to every session, every stream completes, resolves <= ${TARGETS.http2AfterLastStreamMs} ms after the last stream`,
      measured: `GOAWAY ${h2.goaways}/${h2.sessions}, streams ${h2.streamsCompleted}/${h2.streams}, after last stream median ${ms(h2.afterLastStreamMs.median)} max ${ms(max)} (first run ${ms(h2.firstMs)})${h2.error ? `; ${h2.error}` : ''}`,
      met,
      gated: true,
      missBy: met ? undefined : 'see measured',
      timingOnly: !met && delivered,
    });
  }

  const ws = webSocketRows(run).find((row) => row.adapter.startsWith('lastcall'));
  if (ws) {
    const code = String(TARGETS.webSocketCode);
    const max = ws.afterLastCloseMs.max;
    const delivered = ws.runs > 0 && !ws.error && (ws.codes[code] ?? 0) === ws.clients && ws.unresolved === 0;
    const met = delivered && max <= TARGETS.webSocketAfterLastCloseMs;
    checks.push({
      id: 'websocket',
      title: 'WebSocket: close 1001, prompt resolve',
      target: `every client sees ${code}; resolves <= ${TARGETS.webSocketAfterLastCloseMs} ms after the last client's close`,
      measured: `codes ${JSON.stringify(ws.codes)} of ${ws.clients} clients, after last close max ${ms(max)}${ws.error ? `; ${ws.error}` : ''}`,
      met,
      gated: true,
      missBy: met ? undefined : 'see measured',
      timingOnly: !met && delivered,
    });
  }

  const cpu = cpuRows(run).find((row) => row.adapter === LASTCALL.id);
  if (cpu) {
    const ratio = cpu.ratio.median;
    const met = cpu.runs > 0 && ratio <= TARGETS.cpuRatio;
    checks.push({
      id: 'cpu',
      title: 'CPU per request while serving',
      target: `<= ${x(TARGETS.cpuRatio)} bare (median over alternating rounds)`,
      measured: `${x(ratio)} (range ${x(cpu.ratio.min)} to ${x(cpu.ratio.max)}, ${cpu.runs} round pairs; ${cpu.libUs.median.toFixed(1)} vs ${cpu.bareUs.median.toFixed(1)} us per request)`,
      met,
      gated: false,
      missBy: met ? undefined : `+${((ratio - TARGETS.cpuRatio) * 100).toFixed(1)} points`,
      timingOnly: !met && cpu.runs > 0,
    });
  }

  const memory = memoryRows(run).find((row) => row.adapter === LASTCALL.id);
  if (memory) {
    const bytes = memory.overBare.median;
    const met = memory.runs > 0 && bytes <= TARGETS.memoryBytes;
    checks.push({
      id: 'memory',
      title: 'Heap per tracked idle connection',
      target: `<= ${TARGETS.memoryBytes} bytes over bare`,
      measured: `${bytes.toFixed(0)} bytes (range ${memory.overBare.min.toFixed(0)} to ${memory.overBare.max.toFixed(0)}, ${memory.runs} pairs)`,
      met,
      gated: true,
      missBy: met ? undefined : `+${(bytes - TARGETS.memoryBytes).toFixed(0)} bytes`,
      timingOnly: !met && memory.runs > 0,
    });
  }
  return checks;
}

export function formatChecks(checks: readonly TargetCheck[]): string {
  return checks
    .map((check) => {
      const verdict = check.met ? 'met   ' : check.gated ? 'MISSED' : 'missed (reported, not gated)';
      return `${verdict} ${check.title}: ${check.measured} [target ${check.target}]`;
    })
    .join('\n');
}
