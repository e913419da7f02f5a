// The names of the modes and the shape of what a run records of its plan. A leaf module: the
// scenario contract, the plan and the report model all use these types, and plan.ts imports the
// scenario contract, so they cannot live there without a circle.
export type Mode = 'quick' | 'full' | 'smoke';

/** lastcall's settings per scenario id, as results.json records them. */
export type Plan = Readonly<Record<string, unknown>>;
/** The peers' overrides of `Plan` per scenario id, where a mode needs its time for lastcall's rows. */
export type PeerPlan = Readonly<Record<string, unknown>>;
