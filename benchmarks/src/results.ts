// What the orchestrator asks a child process for, and what the child sends back (plain JSON).

export type ScenarioId = 'dropped' | 'overshoot' | 'idle' | 'cpu' | 'memory' | 'http2' | 'websocket';

export interface DroppedParams {
  readonly runs: number;
  readonly clients: number;
  readonly durationMs: number;
  readonly terminateAtMs: number;
  readonly gracefulTimeoutMs: number;
}
export interface DroppedRun {
  readonly ok: number;
  readonly refused: number;
  /** Resets, hang-ups and requests still unanswered at the end, on accepted connections. */
  readonly dropped: number;
  readonly codes: Readonly<Record<string, number>>;
  readonly terminateMs: number;
  readonly resolved: boolean;
}

export interface OvershootParams {
  readonly runs: number;
  /** Stop repeating once this much time went by (the slowest peers wait seconds per run). */
  readonly budgetMs: number;
  readonly gracefulTimeoutMs: number;
}
export interface OvershootRun {
  /** The first run of the child: the shutdown path runs for the first time (lazy compilation). */
  readonly first: boolean;
  /** Last in-flight response's `finish` to `terminate()` resolving, in ms. */
  readonly overshootMs: number;
  readonly terminateMs: number;
  /** In-flight responses the clients received whole (of `inFlight`). */
  readonly completed: number;
  readonly inFlight: number;
  readonly resolved: boolean;
}

export interface IdleParams {
  readonly counts: readonly number[];
  readonly reps: number;
  readonly gracefulTimeoutMs: number;
}
export interface IdlePair {
  readonly connections: number;
  readonly floorMs: number;
  readonly libMs: number;
  readonly ratio: number;
  readonly resolved: boolean;
}

export interface CpuParams {
  readonly rounds: number;
  readonly requests: number;
  readonly concurrency: number;
}
export interface CpuPair {
  /** Server CPU time (user + system) per request, in microseconds. */
  readonly bareUs: number;
  readonly libUs: number;
  readonly ratio: number;
  readonly bareRps: number;
  readonly libRps: number;
}

export interface MemoryParams {
  readonly connections: number;
  readonly reps: number;
}
export interface MemoryPair {
  /** Heap bytes per idle keep-alive connection, after `global.gc()`. */
  readonly bareBytes: number;
  readonly libBytes: number;
  readonly overBare: number;
}

export interface Http2Params {
  readonly runs: number;
  readonly gracefulTimeoutMs: number;
}
export interface Http2Run {
  readonly first: boolean;
  readonly sessions: number;
  readonly goaways: number;
  readonly streams: number;
  readonly streamsCompleted: number;
  readonly resolved: boolean;
  readonly terminateMs: number;
  /** Last stream's end to `terminate()` resolving, in ms (NaN when no stream completed). */
  readonly afterLastStreamMs: number;
  readonly error: string | undefined;
}

export interface WebSocketParams {
  readonly runs: number;
  readonly clients: number;
  readonly gracefulTimeoutMs: number;
}
export interface WebSocketRun {
  readonly clients: number;
  /** Close code each client saw, counted. */
  readonly codes: Readonly<Record<string, number>>;
  readonly resolved: boolean;
  readonly terminateMs: number;
  /** Last client's close to `terminate()` resolving, in ms. */
  readonly afterLastCloseMs: number;
  readonly error: string | undefined;
}

export interface ScenarioTypes {
  dropped: { params: DroppedParams; data: DroppedRun[] };
  overshoot: { params: OvershootParams; data: OvershootRun[] };
  idle: { params: IdleParams; data: IdlePair[] };
  cpu: { params: CpuParams; data: CpuPair[] };
  memory: { params: MemoryParams; data: MemoryPair[] };
  http2: { params: Http2Params; data: Http2Run[] };
  websocket: { params: WebSocketParams; data: WebSocketRun[] };
}

export interface ChildSpec<S extends ScenarioId = ScenarioId> {
  readonly scenario: S;
  readonly adapter: string;
  readonly params: ScenarioTypes[S]['params'];
}

export interface ChildResult<S extends ScenarioId = ScenarioId> {
  readonly scenario: S;
  readonly adapter: string;
  readonly data: ScenarioTypes[S]['data'];
  /** Set when the child failed or was killed at its time limit; `data` is then what it had. */
  readonly error: string | undefined;
  readonly wallMs: number;
}
