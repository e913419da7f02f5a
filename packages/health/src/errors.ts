// Errors of @lastcall/health, with brand guards that work across two installed copies.

/** A probe or agent-check port that another process (or server) already holds. */
export class PortInUseError extends Error {
  /** Brand read by `isPortInUseError`, so the check works across two installed copies of lastcall. */
  readonly isLastcallPortInUseError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'PortInUseError';
  constructor(
    /** What was being started: `probe server` or `agent-check server`. */
    readonly what: string,
    /** The address it tried to bind. */
    readonly host: string,
    /** The port that is already in use. */
    readonly port: number,
    options?: ErrorOptions,
  ) {
    super(
      `@lastcall/health: the ${what} cannot listen on ${host}:${port}: the port is already in use (choose another port, or stop what holds it)`,
      options,
    );
  }
}

/** True for a `PortInUseError` from any copy of @lastcall/health. */
export const isPortInUseError = (error: unknown): error is PortInUseError =>
  typeof error === 'object' && error !== null && 'isLastcallPortInUseError' in error;
