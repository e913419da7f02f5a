// The NestJS module: one lastcall terminator for the app's HTTP server (express or fastify
// platform), drained in Nest's beforeApplicationShutdown hook, so app.close() and
// enableShutdownHooks() drain through lastcall.
import {
  assertKnownOptions,
  type CreateTerminatorOptions,
  createTerminator,
  type TerminationReport,
  type Terminator,
} from '@lastcall/core';
import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/** Options of `LastcallModule.forRoot()`: createTerminator's, except the server (the app's own). */
export type LastcallModuleOptions = Omit<CreateTerminatorOptions, 'server' | 'servers'> & {
  /** Log the termination report as one line through Nest's Logger once drained. Defaults to true. */
  logReport?: boolean;
};

/** The injection token of the module's options (the module's own: users inject `LastcallService`). */
const LASTCALL_MODULE_OPTIONS = Symbol.for('@lastcall/nestjs:options');

const WHERE = 'LastcallModule.forRoot';
/**
 * createTerminator's options that pass through (all but the server, which is the app's own).
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

/** Thrown when the terminator is asked for before the app was initialised (no server yet). */
export class LastcallNotReadyError extends Error {
  /** Brand read by `isLastcallNotReadyError`, so the check works across two installed copies of lastcall. */
  readonly isLastcallNotReadyError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'LastcallNotReadyError';
  constructor() {
    super('@lastcall/nestjs: the terminator exists once the app is initialised (app.init() or app.listen())');
  }
}

/** Brand guard: works across two copies of the package. */
export function isLastcallNotReadyError(error: unknown): error is LastcallNotReadyError {
  return (error as { isLastcallNotReadyError?: unknown } | null)?.isLastcallNotReadyError === true;
}

/**
 * One line a log reader can take in (`@lastcall/fastify` words its own the same way: sharing it would
 * take a public name of core, whose 30 are all taken, and the two packages share nothing else).
 */
function describeReport(report: TerminationReport): string {
  const { connections, requests } = report;
  return (
    `server drained in ${Math.round(report.duration)} ms: ${connections.closedGracefully} connections closed ` +
    `gracefully, ${connections.forced} forced; ${requests.completed} requests completed, ${requests.aborted} aborted`
  );
}

/** Owns the terminator: made at bootstrap (before listen), drained before Nest closes the server. */
@Injectable()
export class LastcallService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('lastcall');
  private current: Terminator | undefined;

  // Explicit @Inject: no reliance on emitted decorator metadata (esbuild, tsx, swc without it).
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(LASTCALL_MODULE_OPTIONS) private readonly options: LastcallModuleOptions,
  ) {}

  /** The terminator of the app's HTTP server; register it with @lastcall/lifecycle's `add()`. */
  get terminator(): Terminator {
    if (!this.current) throw new LastcallNotReadyError();
    return this.current;
  }

  /**
   * Nest's bootstrap hook (in `app.init()` / `app.listen()`, before the server listens): makes the terminator for the
   * app's HTTP server.
   */
  onApplicationBootstrap(): void {
    const { logReport: _logReport, ...terminatorOptions } = this.options;
    // getHttpServer() is the node server under either platform (express's http.Server, fastify's .server).
    this.current = createTerminator({ ...terminatorOptions, server: this.adapterHost.httpAdapter.getHttpServer() });
  }

  // Nest calls this after every onModuleDestroy and before it closes the HTTP server; the drain
  // finishes here, so the server is closed when Nest's adapter closes it (a no-op then) and
  // onApplicationShutdown hooks run with no request left in flight.
  /**
   * Nest's hook before it closes the HTTP server: drains the server through the terminator and logs the report unless
   * `logReport` is false.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.current) return;
    const report = await this.current.terminate();
    if (this.options.logReport ?? true) this.logger.log(describeReport(report));
  }
}

/** The NestJS module that drains the app's HTTP server through a lastcall terminator; import it with `forRoot()`. */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest finds modules by class; forRoot() is Nest's convention.
export class LastcallModule {
  /**
   * The module, global: `imports: [LastcallModule.forRoot({ gracefulTimeout: 10_000 })]`. Options
   * are createTerminator's (gracefulTimeout in ms, drain, force, container, clock) and `logReport`.
   */
  static forRoot(options: LastcallModuleOptions = {}): DynamicModule {
    assertKnownOptions(WHERE, options, KNOWN_OPTIONS);
    return {
      module: LastcallModule,
      global: true,
      providers: [{ provide: LASTCALL_MODULE_OPTIONS, useValue: options }, LastcallService],
      exports: [LastcallService],
    };
  }
}
