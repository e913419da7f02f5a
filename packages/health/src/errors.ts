// Errors of @lastcall/health, with brand guards that work across two installed copies.

/** A probe or agent-check port that another process (or server) already holds. */
export class PortInUseError extends Error {
  readonly isLastcallPortInUseError = true;
  override readonly name = 'PortInUseError';
  constructor(
    /** What was being started: `probe server` or `agent-check server`. */
    readonly what: string,
    readonly host: string,
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
