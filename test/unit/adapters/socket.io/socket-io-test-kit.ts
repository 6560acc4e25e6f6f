import { createServer, get, type RequestListener, type Server as HttpServer } from 'node:http';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import {
  type AbstractSocket,
  type AbstractSocketServer,
  type AnyFrame,
  type CloseInfo,
  type PlugSocketError,
  type ServerConnection,
} from '../../../../src/index.js';
import { SocketIoSocket } from '../../../../adapters/socket.io/client.js';
import type { SocketIoServer } from '../../../../adapters/socket.io/index.js';

/** Everything a client emitted, in order. */
export interface ClientLog {
  opens: number;
  messages: AnyFrame[];
  closes: CloseInfo[];
  errors: PlugSocketError[];
}

/** Everything a server emitted, in order. */
export interface ServerLog<N> {
  connections: ServerConnection<N>[];
  messages: { connection: ServerConnection<N>; frame: AnyFrame }[];
  disconnects: { connection: ServerConnection<N>; info: CloseInfo }[];
  pongs: ServerConnection<N>[];
  errors: PlugSocketError[];
}

/** Starts recording a client's events. */
export function recordClient(client: AbstractSocket<AnyFrame>): ClientLog {
  const log: ClientLog = { opens: 0, messages: [], closes: [], errors: [] };
  client.on('open', () => log.opens++);
  client.on('message', (frame) => log.messages.push(frame));
  client.on('close', (info) => log.closes.push(info));
  client.on('error', (error) => log.errors.push(error));
  return log;
}

/** Starts recording a server's events. */
export function recordServer<N>(server: AbstractSocketServer<N, AnyFrame>): ServerLog<N> {
  const log: ServerLog<N> = {
    connections: [],
    messages: [],
    disconnects: [],
    pongs: [],
    errors: [],
  };
  server.on('connection', (connection) => log.connections.push(connection));
  server.on('message', (connection, frame) => log.messages.push({ connection, frame }));
  server.on('disconnect', (connection, info) => log.disconnects.push({ connection, info }));
  server.on('pong', (connection) => log.pongs.push(connection));
  server.on('error', (_connection, error) => log.errors.push(error));
  return log;
}

/** Resolves once `predicate()` holds; rejects, naming `what`, after `ms`. Polls every 5 ms. */
export async function waitFor(predicate: () => boolean, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(5);
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs every cleanup registered with `defer`, newest first; used from `afterEach`. */
export class Cleanup {
  readonly #tasks: (() => unknown)[] = [];

  /** Registers `task` to run at {@link run}; returns `value` for chaining. */
  defer<T>(value: T, task: (value: T) => unknown): T {
    this.#tasks.push(() => task(value));
    return value;
  }

  /** Runs and forgets every task; a failing task does not stop the others. */
  async run(): Promise<void> {
    const tasks = this.#tasks.splice(0).reverse();
    for (const task of tasks) {
      try {
        await task();
      } catch {
        // Cleanup is best effort: the test itself reports what went wrong.
      }
    }
  }
}

/** The loopback address every test listens on. */
export const HOST = '127.0.0.1';

/** An HTTP server of the test's own on a free loopback port. */
export async function listenHttp(
  handler?: RequestListener,
): Promise<{ http: HttpServer; port: number }> {
  const http = createServer(handler);
  await new Promise<void>((resolve) => http.listen(0, HOST, resolve));
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { http, port: address.port };
}

/** Closes an HTTP server of the test's own, dropping whatever connections it still has. */
export async function closeHttp(http: HttpServer): Promise<void> {
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
}

/** GET without keep-alive, so no socket outlives the test. */
export function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** A raw socket.io-client socket, connected, with reconnection off. */
export async function rawClient(url: string): Promise<ClientSocket> {
  const socket = ioClient(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

/**
 * The servers and clients of one test, closed after it (see {@link Cleanup}), and the usual
 * starting point: a listening server with one connected plugsocket client.
 */
export class Fixture extends Cleanup {
  /** Closes `server` after the test. */
  server<S extends SocketIoServer>(server: S): S {
    return this.defer(server, (s) => s.close());
  }

  /** Disconnects `client` after the test. */
  client<C extends SocketIoSocket>(client: C): C {
    return this.defer(client, (c) => c.disconnect());
  }

  /** `server` (by default one of its own on port 0) listening, with one plugsocket client connected. */
  async pair<S extends SocketIoServer>(server: S, client = new SocketIoSocket()) {
    this.server(server);
    const log = recordServer(server);
    const address = await server.listen();
    this.client(client);
    const events = recordClient(client);
    await client.connect({ url: address.url ?? '' });
    await waitFor(() => log.connections.length === 1, 'the connection');
    return { server, log, address, client, events, connection: log.connections[0] };
  }
}
