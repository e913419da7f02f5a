// The registry as strategies are handed it: its read-only parts and the server controls, frozen.
import type { ServerControls } from '../ServerControls.js';
import type { ServerLike } from '../types.js';
import type { Connection, RegistryView } from './Connection.js';

/** What the view reads of the registry, live. */
export interface ViewSource {
  readonly size: number;
  readonly inFlight: number;
  connections(server?: ServerLike): IterableIterator<Connection>;
  mayHaveUntracked(server: ServerLike): boolean;
}

/** A frozen view: `watch`, `untrack`, `dispose`, `track` and the registry's events are not on it. */
export function registryView(registry: ViewSource, controls: ServerControls): RegistryView {
  return Object.freeze({
    get size() {
      return registry.size;
    },
    get inFlight() {
      return registry.inFlight;
    },
    connections: (server?: ServerLike): IterableIterator<Connection> => registry.connections(server),
    mayHaveUntracked: (server: ServerLike) => registry.mayHaveUntracked(server),
    stopAccepting: (server: ServerLike) => controls.stopAccepting(server),
    closeIdle: (server: ServerLike) => controls.closeIdle(server),
    closeServer: (server: ServerLike) => controls.closeServer(server),
    isClosed: (server: ServerLike) => controls.isClosed(server),
  });
}
