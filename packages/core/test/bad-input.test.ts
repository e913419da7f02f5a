// Bad input as a new user makes it (issue 15): an application passed where its server belongs,
// and terminate() on a server that never listened. Real servers on 127.0.0.1.
import * as http from 'node:http';
import { createTerminator, InvalidOptionTypeError } from '@lastcall/core';
import { within } from '@lastcall/test-kit';
import { WARNING_CODES } from '../src/warnings.js';

/** What express() returns, in the parts that matter here: a request handler with listen(). */
function expressLikeApp(): http.RequestListener & { listen: (port: number) => http.Server } {
  const app = ((_req: http.IncomingMessage, res: http.ServerResponse) =>
    res.end('ok')) as unknown as http.RequestListener & {
    listen: (port: number) => http.Server;
  };
  app.listen = (port: number) => http.createServer(app).listen(port, '127.0.0.1');
  return app;
}

describe('an application where its server belongs', () => {
  test('an express-style app: says to pass what app.listen() returns', () => {
    const app = expressLikeApp();
    const call = (): unknown => createTerminator({ server: app as never });
    expect(call).toThrow(InvalidOptionTypeError);
    expect(call).toThrow(/option "server" must be an http, https or http2 server, received app \(function\)/);
    expect(call).toThrow(/pass the server that app\.listen\(\) returns, or http\.createServer\(app\)/);
  });

  test('an object holding the server (fastify-style app.server): says to pass .server', () => {
    const server = http.createServer();
    const call = (): unknown => createTerminator({ servers: [{ server } as never] });
    expect(call).toThrow(
      /option "servers\[0\]" must be an http, https or http2 server, received .*; pass its \.server/,
    );
  });

  test('anything else: no hint', () => {
    expect(() => createTerminator({ server: 8080 as never })).toThrow(/received 8080 \(number\)$/);
  });
});

describe('terminate() on a server that never listened', () => {
  test('resolves, and a LASTCALL_NOT_LISTENING warning says there was nothing to drain', async () => {
    const codes: string[] = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((
      _message: string,
      options?: { code?: string },
    ) => {
      codes.push(options?.code ?? '');
    }) as typeof process.emitWarning);
    try {
      const terminator = createTerminator({ server: http.createServer() });
      const report = await within(terminator.terminate(), 5_000, 'terminate()');
      expect(report.connections.atStart).toBe(0);
      expect(codes).toEqual([WARNING_CODES.notListening]);
    } finally {
      spy.mockRestore();
    }
  });

  test('a server that listened and was closed before terminate(): no warning', async () => {
    const codes: string[] = [];
    const server = http.createServer();
    const terminator = createTerminator({ server });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((
      _message: string,
      options?: { code?: string },
    ) => {
      codes.push(options?.code ?? '');
    }) as typeof process.emitWarning);
    try {
      await within(terminator.terminate(), 5_000, 'terminate()');
      expect(codes).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });
});
