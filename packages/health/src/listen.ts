// Listening for the probe and agent-check servers: validated address, a taken port as a clear error.
import type * as net from 'node:net';
import { InvalidOptionRangeError, InvalidOptionTypeError } from '@lastcall/core';
import { PortInUseError } from './errors.js';

/**
 * Where the probe and agent-check servers bind unless told otherwise: loopback, so nothing
 * outside the host learns the process's state by accident. Kubernetes probes and a balancer
 * on another host need `host: '0.0.0.0'` (or the pod's address).
 */
const DEFAULT_PROBE_HOST = '127.0.0.1';

export interface Address {
  host: string;
  port: number;
}

export function resolveAddress(where: string, host: unknown, port: unknown): Address {
  if (port === undefined) throw new InvalidOptionTypeError(where, 'port', 'a port number (0 to 65535)', port);
  if (typeof port !== 'number') throw new InvalidOptionTypeError(where, 'port', 'a port number (0 to 65535)', port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidOptionRangeError(where, 'port', 'a port number (0 to 65535)', port);
  }
  const address = host === undefined ? DEFAULT_PROBE_HOST : host;
  if (typeof address !== 'string' || address === '') {
    throw new InvalidOptionTypeError(where, 'host', 'a non-empty host name or address', host);
  }
  return { host: address, port };
}

/** Listens, resolving with the bound port; a taken port rejects with `PortInUseError`. */
export function listenOn(server: net.Server, what: string, { host, port }: Address): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.removeListener('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(what, host, port, { cause: error }) : error);
    };
    const onListening = (): void => {
      server.removeListener('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
