// Contract point 7 on real sockets: the core leaves upgraded connections to the deadline, then
// forces them, and counts them apart in the report.
import type * as http from 'node:http';
import type * as https from 'node:https';
import type * as net from 'node:net';
import { createTerminator, type Terminator } from '@lastcall/core';
import { closeQuietly, connectRaw, type Http1Kind, sleep, startHttp1, whenClosed, within } from '@lastcall/test-kit';
import { get, keepAliveAgent } from './helpers/clients';

/** Sends an upgrade request on a raw socket and resolves once the 101 head has arrived. */
async function upgrade(kind: Http1Kind, port: number): Promise<net.Socket> {
  const socket = await connectRaw(kind, port);
  socket.write('GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: lastcall-echo\r\n\r\n');
  await within(
    new Promise<void>((resolve) => {
      let head = '';
      const onData = (chunk: Buffer): void => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        resolve();
      };
      socket.on('data', onData);
    }),
    2_000,
    'the 101 response',
  );
  return socket;
}

describe.each<Http1Kind>(['http', 'https'])('%s: upgraded connections', (kind) => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A server whose `upgrade` listener switches to an echo protocol and keeps the socket. */
  async function serve(gracefulTimeout: number): Promise<{
    server: http.Server | https.Server;
    port: number;
    terminator: Terminator;
    upgraded: net.Socket[];
  }> {
    const { server, port } = await startHttp1(kind, (_req, res) => res.end('plain'));
    const upgraded: net.Socket[] = [];
    server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: lastcall-echo\r\n\r\n');
      socket.on('data', (chunk) => socket.write(chunk));
      socket.on('error', () => undefined);
      upgraded.push(socket);
    });
    cleanups.push(() => {
      for (const socket of upgraded) socket.destroy();
      return closeQuietly(server);
    });
    const terminator = createTerminator({ server, gracefulTimeout });
    cleanups.push(() => (terminator.state === 'running' ? terminator.dispose() : undefined));
    return { server, port, terminator, upgraded };
  }

  test('an upgraded connection is left open until the deadline, then forced and counted apart', async () => {
    // A 2 s deadline: the echo below, made 200 ms in, has well over a second to come back
    // before the force even on a loaded machine.
    const { port, terminator } = await serve(2_000);
    const client = await upgrade(kind, port);
    cleanups.push(() => client.destroy());
    const closed = whenClosed(client, 10_000);

    const started = performance.now();
    const done = terminator.terminate();
    // Into the graceful period the protocol still works: the core did not touch it.
    await sleep(200);
    expect(client.destroyed).toBe(false);
    const echoed = new Promise<string>((resolve) => client.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    client.write('still here');
    expect(await within(echoed, 1_000, 'the echo')).toBe('still here');

    const report = await within(done, 5_000, 'terminate() to resolve');
    const elapsed = performance.now() - started;
    await within(closed, 1_000, 'the client socket to close');
    expect(report.timedOut).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(1_990);
    expect(report.kindsAtStart.upgraded).toBe(1);
    expect(report.upgraded).toEqual({ atStart: 1, upgradedDuringDrain: 0, closedGracefully: 0, forced: 1 });
    expect(report.connections).toMatchObject({ atStart: 1, forced: 1 });
  });

  test('plain keep-alive traffic drains as usual while an upgraded connection waits for the deadline', async () => {
    // A 3 s deadline: the idle close (100 ms grace) is told apart from it by a wide margin.
    const { port, terminator } = await serve(3_000);
    const client = await upgrade(kind, port);
    cleanups.push(() => client.destroy());
    const agent = keepAliveAgent(kind, 1);
    cleanups.push(() => agent.destroy());
    expect((await get(kind, port, '/', agent)).body).toBe('plain');
    const idle = Object.values(agent.freeSockets)[0]?.[0];
    if (idle === undefined) throw new Error('the agent kept no socket');
    const idleClosed = whenClosed(idle);

    const done = terminator.terminate();
    // The idle connection closes after the idle grace (100 ms), not at the deadline.
    await within(idleClosed, 2_000, 'the idle connection to close');
    expect(client.destroyed).toBe(false);
    const report = await within(done, 5_000, 'terminate() to resolve');
    expect(report.upgraded).toMatchObject({ atStart: 1, forced: 1 });
    expect(report.connections).toMatchObject({ atStart: 2, closedGracefully: 1, forced: 1 });
  });

  test('an upgraded connection its protocol closes during the drain counts as closed gracefully', async () => {
    // A 5 s deadline: the protocol's close, 50 ms in, is not raced by the force on a loaded machine.
    const { port, terminator, upgraded } = await serve(5_000);
    const client = await upgrade(kind, port);
    cleanups.push(() => client.destroy());
    client.on('end', () => client.end());

    const done = terminator.terminate();
    await sleep(50);
    for (const socket of upgraded) socket.end();
    const report = await within(done, 3_000, 'terminate() to resolve');
    expect(report.timedOut).toBe(false);
    expect(report.upgraded).toEqual({ atStart: 1, upgradedDuringDrain: 0, closedGracefully: 1, forced: 0 });
  });
});
