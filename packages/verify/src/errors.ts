// The tool's own failures: each has a kind, a message that names what to fix, and a distinct exit code.

/** What went wrong before any shutdown could be measured. */
export type VerifyErrorKind =
  /** An option or its value is wrong. */
  | 'usage'
  /** The service never accepted a connection on its port. */
  | 'never-listens'
  /** Another process already listens on the port. */
  | 'port-in-use'
  /** The readiness URL never answered 200. */
  | 'readiness'
  /** The service exited while under load, before it was signalled. */
  | 'crashed'
  /** haproxy, nginx or pm2 is not installed. */
  | 'missing-binary'
  /** Ctrl-C (SIGINT) or SIGTERM to the tool itself. */
  | 'interrupted';

/** The exit code of the CLI for each kind; 0 is a pass and 1 a failed request or exit. */
export const EXIT_CODES: Readonly<Record<VerifyErrorKind, number>> = {
  usage: 2,
  'never-listens': 3,
  'port-in-use': 4,
  readiness: 5,
  crashed: 6,
  'missing-binary': 7,
  interrupted: 130,
};

/** A run that could not measure anything: the service or the setup is at fault, not its shutdown. */
export class VerifyError extends Error {
  /** Brand read by `isVerifyError`, so the check works across two installed copies of the package. */
  readonly isVerifyError = true;
  /** The class name, so logs and `error.name` say which error this is. */
  override readonly name = 'VerifyError';
  constructor(
    /** What went wrong. */
    readonly kind: VerifyErrorKind,
    message: string,
  ) {
    super(message);
  }

  /** The CLI's exit code for this error. */
  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

/** Whether `value` is a VerifyError (also one from another copy of this package). */
export function isVerifyError(value: unknown): value is VerifyError {
  return (value as { isVerifyError?: unknown } | null)?.isVerifyError === true;
}
