// What the orchestrator asks a child process for, and what the child sends back (plain JSON).
// Each scenario module types its own params and data; here they travel as JSON.

export interface ChildSpec {
  readonly scenario: string;
  readonly adapter: string;
  readonly params: unknown;
}

export interface ChildResult<D = unknown> {
  readonly scenario: string;
  readonly adapter: string;
  readonly data: readonly D[];
  /** Set when the child failed or was killed at its time limit; `data` is then what it had. */
  readonly error: string | undefined;
  readonly wallMs: number;
}
