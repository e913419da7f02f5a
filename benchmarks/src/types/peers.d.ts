// Declarations for the two peers that ship none; only what the adapters call.

declare module 'lil-http-terminator' {
  import type * as http from 'node:http';

  interface LilLogger {
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
    info(...args: unknown[]): void;
  }
  interface LilOptions {
    server: http.Server;
    gracefulTerminationTimeout?: number;
    maxWaitTimeout?: number;
    logger?: LilLogger;
  }
  interface LilResult {
    success: boolean;
    code: string;
    message: string;
    error?: Error;
  }
  function lilHttpTerminator(options: LilOptions): { terminate(): Promise<LilResult> };
  export = lilHttpTerminator;
}

declare module 'killable' {
  import type * as http from 'node:http';

  function makeKillable<S extends http.Server>(server: S): S & { kill(callback?: (error?: Error) => void): void };
  export = makeKillable;
}
