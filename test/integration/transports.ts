// The transports this repository ships, as the integration suites parametrise over them.
import type { AbstractSocket, AbstractSocketServer } from 'plugsocket';
import { MemorySocket, MemorySocketServer } from 'plugsocket/memory';
import { SocketIoServer } from 'plugsocket/socket.io';
import { SocketIoSocket } from 'plugsocket/socket.io/client';
import { WsSocket, WsSocketServer } from 'plugsocket/ws';

export interface TransportUnderTest {
  name: string;
  createServer: () => AbstractSocketServer;
  createClient: () => AbstractSocket;
}

export const TRANSPORTS: readonly TransportUnderTest[] = [
  {
    name: 'memory',
    createServer: () => new MemorySocketServer(),
    createClient: () => new MemorySocket(),
  },
  {
    name: 'ws',
    createServer: () => new WsSocketServer({ port: 0, host: '127.0.0.1' }),
    createClient: () => new WsSocket(),
  },
  {
    name: 'socket.io',
    createServer: () => new SocketIoServer({ port: 0, host: '127.0.0.1' }),
    createClient: () => new SocketIoSocket(),
  },
];

/** Resolves once `predicate()` holds; rejects after `ms` (bounded polling, never a spin). */
export function waitFor(predicate: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}
