// The fastify plugin: one lastcall terminator for the instance's server, run by fastify's own
// close() in its preClose hook, so every way a fastify app is closed drains the same way.
import {
  assertKnownOptions,
  type CreateTerminatorOptions,
  createTerminator,
  type TerminationReport,
  type Terminator,
} from '@lastcall/core';
import type { FastifyInstance } from 'fastify';

/** Options of the plugin: createTerminator's, except `server` (the plugin passes the instance's own). */
export type LastcallFastifyOptions = Omit<CreateTerminatorOptions, 'server' | 'servers'> & {
  /**
   * Log the termination report as one line through `fastify.log.info` when close() has drained.
   * Defaults to true.
   */
  logReport?: boolean;
};

declare module 'fastify' {
  interface FastifyInstance {
    /** The terminator of this instance's server (register it with @lastcall/lifecycle's `add()`). */
    lastcall: Terminator;
  }
}

const WHERE = '@lastcall/fastify';
/**
 * createTerminator's options that pass through (all but the server, which is the instance's own).
 * Derived from core's own type: an option core adds, renames or removes fails this build until
 * it is listed here, so the list cannot drift from core's.
 */
const TERMINATOR_OPTIONS = {
  gracefulTimeout: true,
  drain: true,
  force: true,
  container: true,
  clock: true,
} as const satisfies Record<keyof Omit<CreateTerminatorOptions, 'server' | 'servers'>, true>;
const KNOWN_OPTIONS = [...Object.keys(TERMINATOR_OPTIONS), 'logReport'];

/**
 * One line a log reader can take in: what was drained, what was forced, how long it took.
 * `@lastcall/nestjs` words its own the same way: sharing it would take a public name of core, whose
 * 30 are all taken, and the two packages share nothing else.
 */
function describeReport(report: TerminationReport): string {
  const { connections, requests } = report;
  return (
    `lastcall: server drained in ${Math.round(report.duration)} ms: ` +
    `${connections.closedGracefully} connections closed gracefully, ${connections.forced} forced; ` +
    `${requests.completed} requests completed, ${requests.aborted} aborted`
  );
}

function lastcallPlugin(
  fastify: FastifyInstance,
  options: LastcallFastifyOptions,
  done: (error?: Error) => void,
): void {
  let terminator: Terminator;
  try {
    // fastify hands a plugin its options object with no extra keys, so an unknown name is the user's.
    assertKnownOptions(WHERE, options, KNOWN_OPTIONS);
    const { logReport: _logReport, ...terminatorOptions } = options;
    // Made at registration, before listen(): every connection is tracked from the first one.
    terminator = createTerminator({ ...terminatorOptions, server: fastify.server });
  } catch (error) {
    // A callback-style plugin reports through done(): a throw would leave fastify waiting.
    done(error as Error);
    return;
  }
  const logReport = options.logReport ?? true;
  fastify.decorate('lastcall', terminator);
  // preClose runs before fastify closes the server (and before its forceCloseConnections): by the
  // time fastify calls server.close() ours has closed it, and fastify takes ERR_SERVER_NOT_RUNNING
  // as done. terminate() returns the same promise when @lastcall/lifecycle already called it.
  fastify.addHook('preClose', async () => {
    const report = await terminator.terminate();
    if (logReport) fastify.log.info({ lastcall: report }, describeReport(report));
  });
  done();
}

// fastify's documented plugin metadata (what the fastify-plugin package sets): skip-override
// puts the decoration and the hook on the instance the user registers on, not a child scope.
Object.assign(lastcallPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: WHERE,
  [Symbol.for('plugin-meta')]: { name: WHERE, fastify: '5.x' },
});

/**
 * The plugin: `app.register(lastcall, { gracefulTimeout: 10_000 })`. After that, `app.close()`
 * drains through lastcall and `app.lastcall` is the terminator.
 */
export const lastcall: (
  fastify: FastifyInstance,
  options: LastcallFastifyOptions,
  done: (error?: Error) => void,
) => void = lastcallPlugin;
