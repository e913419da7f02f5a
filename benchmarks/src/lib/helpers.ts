// The measured process's side of the helper processes (holder, load generator, clients): fork,
// ask over IPC, await the answer with a bound. Each helper is ended through its own handle.
import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import type { ClientsCommand, ClientsEvent } from '../clients.js';
import type { HolderCommand, HolderEvent } from '../holder.js';
import type { LoadCommand, LoadDone } from '../loadgen.js';
import { within } from './net.js';

/** The helpers are built next to the running entry point (dist/). */
const here = (): string => path.dirname(process.argv[1] ?? '.');

class HelperProcess<Command, Event extends { type: string }> {
  readonly #child: ChildProcess;

  constructor(script: string) {
    this.#child = fork(path.join(here(), script), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  }

  send(command: Command): void {
    this.#child.send(command as object);
  }

  /** The next event of `type`, or a rejection after `ms`. Listen before sending what causes it. */
  next<T extends Event['type']>(type: T, ms: number): Promise<Extract<Event, { type: T }>> {
    let onMessage: (event: Event) => void = () => undefined;
    const message = new Promise<Extract<Event, { type: T }>>((resolve) => {
      onMessage = (event: Event): void => {
        if (event.type !== type) return;
        resolve(event as Extract<Event, { type: T }>);
      };
      this.#child.on('message', onMessage);
    });
    return within(message, ms).then((result) => {
      this.#child.removeListener('message', onMessage);
      if (result === 'timeout')
        throw new Error(`helper ${path.basename(this.#child.spawnfile)} sent no "${type}" within ${ms} ms`);
      return result;
    });
  }

  stop(): void {
    this.#child.kill();
  }
}

/** The holder process: opens and holds idle keep-alive connections. */
export class Holder {
  readonly #helper = new HelperProcess<HolderCommand, HolderEvent>('holder.js');
  /** Resolves when the connections of the last `open` have all closed. */
  #allClosed: Promise<unknown> = Promise.resolve();

  /** Opens `count` connections, one request each; resolves once every response arrived. */
  async open(port: number, count: number): Promise<number> {
    // Listening before asking: the `closed` message of this batch must not be missed.
    this.#allClosed = this.#helper.next('closed', 10 * 60_000).catch(() => undefined);
    const ready = this.#helper.next('ready', 60_000);
    this.#helper.send({ type: 'open', port, count });
    const { opened, failed } = await ready;
    if (failed > 0) throw new Error(`holder: ${failed} of ${count} connections failed to open`);
    return opened;
  }

  /** Waits (at most `ms`) until every held connection has closed; destroys the rest after that. */
  async drain(ms: number): Promise<void> {
    if ((await within(this.#allClosed, ms)) !== 'timeout') return;
    this.#helper.send({ type: 'closeAll' });
    await within(this.#allClosed, 5_000);
  }

  stop(): void {
    this.#helper.stop();
  }
}

/** The load generator process. */
export class LoadGenerator {
  readonly #helper = new HelperProcess<LoadCommand, LoadDone>('loadgen.js');

  load(port: number, requests: number, concurrency: number): Promise<LoadDone> {
    const done = this.#helper.next('done', 120_000);
    this.#helper.send({ type: 'load', port, requests, concurrency });
    return done;
  }

  stop(): void {
    this.#helper.stop();
  }
}

/** The clients process of the dropped, overshoot, HTTP/2 and WebSocket scenarios. */
export class Clients {
  readonly #helper = new HelperProcess<ClientsCommand, ClientsEvent>('clients.js');

  send(command: ClientsCommand): void {
    this.#helper.send(command);
  }

  next<T extends ClientsEvent['type']>(type: T, ms: number): Promise<Extract<ClientsEvent, { type: T }>> {
    return this.#helper.next(type, ms);
  }

  /** Ends whatever the clients still hold open (agents, sessions, sockets). */
  release(): void {
    this.#helper.send({ type: 'release' });
  }

  stop(): void {
    this.#helper.stop();
  }
}

/** `runs` runs through one clients process, each result pushed to `sink` as it comes; the process is stopped after. */
export async function runWithClients<D>(
  runs: number,
  sink: D[],
  once: (clients: Clients) => Promise<D>,
): Promise<void> {
  const clients = new Clients();
  try {
    for (let run = 0; run < runs; run++) sink.push(await once(clients));
  } finally {
    clients.stop();
  }
}
