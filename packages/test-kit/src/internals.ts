// What a terminator holds beyond the public `Terminator` interface, for tests that check how
// it was composed. The interface is what a service needs; these stay on the object.

/** The members of core's terminator object that are not on the public `Terminator` interface. */
export interface TerminatorInternals {
  /** The drain it runs (the composed one, when drains were combined or wrapped). */
  readonly drain: object;
  /** The force strategy it runs at the deadline. */
  readonly force: object;
  /** The read-only registry view the strategies are handed. */
  readonly registry: { readonly size: number; readonly inFlight: number };
}

/** A terminator made by `createTerminator`, seen with its internal members. */
export function internals(terminator: object): TerminatorInternals {
  return terminator as TerminatorInternals;
}
