import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import type {
  AbstractSocket,
  AbstractSocketServer,
  ServerEvents,
  SocketEvents,
} from '../../../../src/index.js';

// Loosely typed on purpose: the overloads below give callers the precise event types.
interface AnyEmitter {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Resolves with the arguments of the next `event` of a server or socket. */
export function nextEvent<N, K extends keyof ServerEvents<N>>(
  emitter: AbstractSocketServer<N>,
  event: K,
): Promise<Parameters<ServerEvents<N>[K]>>;
export function nextEvent<K extends keyof SocketEvents>(
  emitter: AbstractSocket,
  event: K,
): Promise<Parameters<SocketEvents[K]>>;
export function nextEvent(emitter: AnyEmitter, event: string): Promise<unknown[]> {
  return collectLoose(emitter, event, 1).then((all) => all[0]);
}

/** Collects the arguments of the next `count` occurrences of `event`. */
export function collect<N, K extends keyof ServerEvents<N>>(
  emitter: AbstractSocketServer<N>,
  event: K,
  count: number,
): Promise<Parameters<ServerEvents<N>[K]>[]>;
export function collect<K extends keyof SocketEvents>(
  emitter: AbstractSocket,
  event: K,
  count: number,
): Promise<Parameters<SocketEvents[K]>[]>;
export function collect(emitter: AnyEmitter, event: string, count: number): Promise<unknown[][]> {
  return collectLoose(emitter, event, count);
}

function collectLoose(emitter: AnyEmitter, event: string, count: number): Promise<unknown[][]> {
  return new Promise((resolve) => {
    const seen: unknown[][] = [];
    const listener = (...args: unknown[]): void => {
      if (seen.push(args) < count) return;
      emitter.off(event, listener);
      resolve(seen);
    };
    emitter.on(event, listener);
  });
}

/** An http server listening on 127.0.0.1 at a port the OS chose. */
export async function listeningHttpServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Closes an http server (and any connection left on it). */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const { server, port } = await listeningHttpServer();
  await closeHttpServer(server);
  return port;
}

/** Tracks what a test opens, so that `afterEach` can close all of it. */
export class Resources {
  readonly #closers: (() => Promise<void> | void)[] = [];

  /** Registers `value` to be released by `close(value)` after the test; returns `value`. */
  track<T>(value: T, close: (value: T) => Promise<void> | void): T {
    this.#closers.push(() => close(value));
    return value;
  }

  /** Releases everything, newest first (clients before the servers they talk to). */
  async releaseAll(): Promise<void> {
    const closers = this.#closers.splice(0).reverse();
    for (const close of closers) {
      try {
        await close();
      } catch {
        // A resource a test already released.
      }
    }
  }
}

/**
 * Tries a WebSocket upgrade with a raw `ws` client and resolves with the HTTP status the server
 * answered: 101 when the upgrade succeeded, `'error'` when the connection failed without a
 * response (e.g. the socket was destroyed).
 */
export function upgradeStatus(
  url: string,
  headers: Record<string, string> = {},
): Promise<number | 'error'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 2_000 });
    ws.on('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.on('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    ws.on('error', () => resolve('error'));
  });
}
