// Rolling restart behind a balancer: backend processes behind a real HAProxy (HTTP check on each
// backend's readiness, `http-reuse always`) or nginx (passive checks, an upstream keepalive pool),
// keep-alive clients sending GETs and POSTs with a body through it for the whole run, every backend
// restarted in turn; each row is one library (or one of lastcall's drains) as the backends'
// shutdown, behind one balancer (the e2e harness runs it).
// This file measures; the rows, checks and page section are rolling-restart.report.ts.
import * as path from 'node:path';
import { completeAnswer, findBinary, percentile, rollingRestart } from '@lastcall/e2e';
import { DELAY_PEERS, LASTCALL } from '../adapters/index.js';
import type { Adapter } from '../adapters/types.js';
import {
  LASTCALL_VARIANTS,
  LIGHTSHIP_READINESS_PATH,
  NGINX_UPSTREAM_IDLE_MS,
  ROLLING_MODE_ENV,
  ROLLING_MODES,
  ROLLING_UPSTREAM_IDLE_ENV,
} from '../lib/rolling.js';
import { addCounts } from '../report/model.js';
import { defineScenario } from '../scenario.js';
import {
  OWN_MODE,
  type RollingBalancer,
  type RollingParams,
  type RollingRow,
  type RollingRun,
  rollingChecks,
  rollingRows,
  rollingSection,
  rollingWhyMissed,
} from './rolling-restart.report.js';

const BASE = {
  backends: 2,
  clients: 32,
  postShare: 0.25,
  steadyMs: 2_000,
  variants: LASTCALL_VARIANTS,
  balancers: ['haproxy', 'nginx'],
} as const;

export const rolling = defineScenario<RollingParams, RollingRun, RollingRow>({
  id: 'rolling-restart',
  plans: {
    // Full: 4 lastcall drains x 2 balancers + 5 peers behind HAProxy. The 7 rows added with nginx
    // and the drains (2 runs of 2 rounds each) add 4 to 5 min to the full run: the quick run took
    // 175 s for lastcall's 8 rows of 1 run (~22 s a run of 4 restarts, 2-core machine at load 8).
    quick: { own: { ...BASE, runs: 1, rounds: 2, variantRounds: 2 } },
    full: { own: { ...BASE, runs: 2, rounds: 3, variantRounds: 2 } },
    // lastcall's recommended drain behind HAProxy alone, one round: about 10 s on top of the smoke run.
    smoke: {
      own: {
        ...BASE,
        clients: 16,
        steadyMs: 1_000,
        runs: 1,
        rounds: 1,
        variantRounds: 1,
        variants: [],
        balancers: ['haproxy'],
      },
    },
  },
  adapters(mode, peers) {
    if (mode === 'smoke') return [LASTCALL];
    const wanted = (adapter: Adapter): boolean => (ROLLING_MODES as readonly string[]).includes(adapter.id);
    return [LASTCALL, ...peers.filter(wanted), ...DELAY_PEERS];
  },
  // Per shutdown at most: the harness's exit bound (15 s), a start (10 s) and a first request (10 s);
  // lastcall's child measures every drain behind every balancer.
  timeLimitMs: (p) =>
    30_000 +
    (1 + p.variants.length) *
      p.balancers.length *
      p.runs *
      (p.steadyMs + 10_000 + Math.max(p.rounds, p.variantRounds) * p.backends * 35_000),

  async run(adapter, params, sink) {
    // Built next to child.js (this process's script) by build.mjs.
    const script = path.join(path.dirname(process.argv[1] ?? '.'), 'rolling-backend.js');
    const modes: readonly string[] = adapter.lastcall ? [OWN_MODE, ...params.variants] : [adapter.id];
    const balancers: readonly RollingBalancer[] = adapter.lastcall ? params.balancers : ['haproxy'];
    for (const balancer of balancers) {
      if (findBinary(balancer) === undefined) {
        for (const mode of modes)
          sink.push({
            ...EMPTY,
            mode,
            balancer,
            skipped: `${balancer} is not installed (apt-get install -y ${balancer})`,
          });
        continue;
      }
      for (const mode of modes) {
        const judged = mode === adapter.id && balancer === 'haproxy';
        for (let run = 0; run < params.runs; run++) {
          const result = await rollingRestart({
            kind: balancer === 'nginx' ? 'nginx' : 'haproxy-httpchk',
            backends: params.backends,
            rounds: judged ? params.rounds : params.variantRounds,
            clients: params.clients,
            postShare: params.postShare,
            check: completeAnswer,
            steadyMs: params.steadyMs,
            script,
            backendEnv: {
              [ROLLING_MODE_ENV]: mode,
              // nginx pools connections with no check: the drain leaves them to its keepalive_timeout.
              ...(mode === OWN_MODE && balancer === 'nginx'
                ? { [ROLLING_UPSTREAM_IDLE_ENV]: String(NGINX_UPSTREAM_IDLE_MS) }
                : {}),
            },
            ...(adapter.id === 'lightship' ? { probe: { path: LIGHTSHIP_READINESS_PATH } } : {}),
          });
          const shutdowns = result.shutdowns.length;
          sink.push({
            mode,
            balancer,
            ok: result.counts.ok,
            failed: result.counts.failed,
            causes: result.counts.causes,
            refused: result.counts.refused,
            steadyP99Ms: percentile(result.counts.latencies.steady ?? [], 99),
            restartP99Ms: percentile(result.counts.latencies.restart ?? [], 99),
            sigtermToExitMs: result.shutdowns.map((s) => s.sigtermToExitMs),
            inProcessExitMs: result.shutdowns.map((s) => s.exit?.sigtermToExitMs ?? Number.NaN),
            newConnections: result.shutdowns.map((s) => s.exit?.connectionsAfterSigterm ?? Number.NaN),
            haproxyConnectsPerShutdown:
              shutdowns > 0 && result.restartConnects !== undefined ? result.restartConnects / shutdowns : Number.NaN,
            exits: addCounts(result.shutdowns.map((s) => ({ [String(s.exitCode)]: 1 }))),
          });
        }
      }
    }
  },

  rows: rollingRows,
  checks: rollingChecks,
  section: rollingSection,
  whyMissed: rollingWhyMissed,
});

/** The run a row gets when HAProxy is missing. */
const EMPTY: RollingRun = {
  ok: 0,
  failed: Number.NaN,
  causes: {},
  steadyP99Ms: Number.NaN,
  restartP99Ms: Number.NaN,
  sigtermToExitMs: [],
  inProcessExitMs: [],
  newConnections: [],
  haproxyConnectsPerShutdown: Number.NaN,
  exits: {},
};
