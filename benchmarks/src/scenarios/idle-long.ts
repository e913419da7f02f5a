// Idle close in the default configuration: connections that each served one request and then sat
// idle for well over the default idle grace, closed by lastcall with its DEFAULT drain options,
// against the raw destroy floor in the same child (the pairs of the idle-close scenario).
import { LASTCALL } from '../adapters/index.js';
import { notMeasured } from '../checks.js';
import { ms, setting, x } from '../report/format.js';
import { defineScenario, planOf } from '../scenario.js';
import {
  IDLE_OPEN_FILES,
  type IdlePair,
  type IdleParams,
  type IdleRow,
  idleRows,
  idleTables,
  idleTimeLimitMs,
  runIdlePairs,
  SMOKE_IDLE_RATIO,
} from './idle.js';

/** The target: lastcall as shipped closes long-idle connections within this ratio of the floor. */
export const IDLE_LONG_RATIO = 1.2;
/**
 * How long the connections sit idle before terminate(), in ms: three times the default idle grace
 * (100 ms), so a drain that still waits the whole grace for them shows as about +100 ms.
 */
export const IDLE_LONG_MS = 300;

export const idleLong = defineScenario<IdleParams, IdlePair, IdleRow>({
  id: 'idle-long',
  plans: {
    quick: {
      own: { counts: [1_000, 5_000], reps: 2, gracefulTimeoutMs: 5_000, idleMs: IDLE_LONG_MS },
      peers: { reps: 1 },
    },
    full: {
      own: { counts: [1_000, 5_000], reps: 6, gracefulTimeoutMs: 5_000, idleMs: IDLE_LONG_MS },
      peers: { reps: 2 },
    },
    smoke: { own: { counts: [1_000], reps: 3, gracefulTimeoutMs: 5_000, idleMs: IDLE_LONG_MS } },
  },
  adapters: (mode, peers) => (mode === 'smoke' ? [LASTCALL] : [LASTCALL, ...peers]),
  execArgv: ['--expose-gc'],
  openFiles: IDLE_OPEN_FILES,
  timeLimitMs: idleTimeLimitMs,
  run: (adapter, params, sink) => runIdlePairs(adapter, params, sink),
  rows: (results, run) => idleRows(results, planOf<IdleParams>(run, 'idle-long')?.counts ?? []),

  checks(rows, run) {
    const smoke = run.mode === 'smoke';
    return rows
      .filter((row) => row.adapter === LASTCALL.id)
      .map((own) => {
        const id = `idle-long:${own.connections}`;
        const title = `Idle close of ${own.connections} long-idle connections (default options)`;
        const target = `<= ${x(IDLE_LONG_RATIO)} the raw destroy floor${smoke ? ' (judged by the full run; smoke gates only that every terminate() resolved)' : ''}`;
        if (own.skipped !== undefined) return notMeasured(id, title, target, own.skipped);
        const ratio = own.ratio.median;
        const complete = own.runs > 0 && own.unresolved === 0 && !own.error;
        const met = complete && ratio <= IDLE_LONG_RATIO;
        return {
          id,
          title,
          target,
          measured: `${x(ratio)} (median of ${own.runs} pairs: ${ms(own.libMs.median)} vs floor ${ms(own.floorMs.median)})${own.error ? `; ${own.error}` : ''}`,
          met,
          // A new target the core does not meet yet: smoke fails only on an unresolved terminate()
          // (correctness), and reports the ratio; the full run judges it (smoke's usual 2x bound
          // would fail every CI run until the core waits no grace for long-idle connections).
          gated: !smoke || !complete,
          missBy: met ? undefined : complete ? `${x(ratio)} vs ${x(IDLE_LONG_RATIO)}` : 'terminate() unresolved',
          timingOnly: !met && complete,
        };
      });
  },

  section(rows, tools) {
    const p = planOf<IdleParams>(tools.run, 'idle-long');
    if (rows.length === 0 || p === undefined) return undefined;
    return `## Idle close of long-idle connections, default configuration

The same pairs as the idle close above, but the connections each served one request and then sat idle for ${p.idleMs ?? IDLE_LONG_MS} ms before \`terminate()\`, well over lastcall's default idle grace (100 ms), and lastcall runs with its default drain options, as a user gets it. The grace exists for a client that has just read a response and may send its next request; a connection idle for longer than the grace has no such request coming, so the target is to close it as fast as the floor (<= ${x(IDLE_LONG_RATIO)}). ${setting(tools.run, 'idle-long', 'reps')} pairs per N. Smoke runs the smallest N only and reports the ratio without gating on it (SMOKE_IDLE_RATIO, ${SMOKE_IDLE_RATIO}x, is for the grace-0 rows).

${idleTables(rows, p.counts, tools, 'idle-long')}`;
  },

  whyMissed: () =>
    "Why: the default drain closes every connection idle for longer than the grace through the server's own close pass, two timer turns after `terminate()`, so that a request already sitting in a socket is read first and answered instead of reset (a reset seen under PM2 reloads and fixed in 0.2; see docs/reliability.md). Attributed apart in CPU time per step by `benchmarks/scripts/idle-split.mjs 5000 6 300 floor,default`: the two turns are about 3 ms of wall time; the rest of the gap is lastcall's own CPU at 5000 connections, 20 to 25 ms over a floor of 110 to 160 ms: a `close` listener on every socket when draining begins (6 to 8 ms: the records are watched before the close pass that ends them), the long-idle walk (2 to 6 ms: it reads each socket's `bytesRead`, so that a request head half received is never taken for idle), dropping the records at the server's `close` (about 5 ms) and the walks the grace-0 close makes too (about 5 ms), with V8 compiling that code, which runs once per process. " +
    'What would close it: watch the records after the first close pass rather than before it (only the connections that pass leaves open need a listener), and judge the ratio in CPU time per pair.',
});
