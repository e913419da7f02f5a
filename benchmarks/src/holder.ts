// A helper process that opens N idle keep-alive connections to a benchmark server and holds them,
// so that the measured process carries only the server's side of each connection.
// Talks over IPC; exits when its parent goes away, and after a hard limit in any case.
import * as net from 'node:net';
import { HOST } from './lib/net.js';

export type HolderCommand = { type: 'open'; port: number; count: number } | { type: 'closeAll' };
export type HolderEvent = { type: 'ready'; opened: number; failed: number } | { type: 'closed'; count: number };

/** Sockets being connected at once: enough to be quick, few enough not to overflow the backlog. */
const CONCURRENCY = 200;
/** No benchmark child lives this long; a holder left behind ends itself. */
const HARD_LIMIT_MS = 20 * 60_000;
/**
 * How long one connection may take to connect and get its response's first bytes before it is
 * destroyed and counted as failed: far above a benchmark's (milliseconds), so it only ends a
 * hang. An answered connection then stays idle as long as the scenario wants: no limit there.
 */
const ANSWER_TIMEOUT_MS = 10_000;

const REQUEST = `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
let sockets: net.Socket[] = [];
let open = 0;

function send(event: HolderEvent): void {
  process.send?.(event);
}

/** One connection: connect, one request, wait for the response's first bytes, then stay idle. */
function connectOne(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    let answered = false;
    // Its 'close' below resolves false and does the bookkeeping.
    const timer = setTimeout(() => socket.destroy(), ANSWER_TIMEOUT_MS);
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write(REQUEST));
    socket.once('data', () => {
      answered = true;
      clearTimeout(timer);
      resolve(true);
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      open--;
      if (!answered) resolve(false);
      if (open === 0) send({ type: 'closed', count: sockets.length });
    });
    open++;
    sockets.push(socket);
  });
}

async function openAll(port: number, count: number): Promise<void> {
  sockets = [];
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      if (!(await connectOne(port))) failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  send({ type: 'ready', opened: count - failed, failed });
}

process.on('message', (command: HolderCommand) => {
  if (command.type === 'open') void openAll(command.port, command.count);
  else for (const socket of sockets) socket.destroy();
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(0), HARD_LIMIT_MS).unref();
