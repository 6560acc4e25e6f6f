// Servers and clients for the React specs: a real SocketServer and SocketClient over the memory
// transport, each one made here closed by cleanUp() after its test.
import {
  SocketClient,
  SocketServer,
  type Schema,
  type SocketClientOptions,
  type SocketServerOptions,
} from 'plugsocket';
import { MemorySocket, MemorySocketServer } from 'plugsocket/memory';

const servers = new Set<{ shutdown(): Promise<void> }>();
const clients = new Set<{ disconnect(): Promise<void> }>();
let counter = 0;

/** A listening server on a fresh memory server, shut down after the test. */
export async function startServer<S extends Schema = Schema>(
  options: SocketServerOptions = {},
): Promise<{ server: SocketServer<S>; url: string }> {
  const adapter = new MemorySocketServer({ name: `react-${process.pid}-${++counter}` });
  const server = new SocketServer<S>(adapter, options);
  servers.add(server);
  const { url } = await server.listen();
  return { server, url: url ?? '' };
}

/**
 * A client (not connected) that reconnects quickly, without heartbeats, over `socket` (a fresh
 * memory socket by default); disconnected after the test.
 */
export function newClient<S extends Schema = Schema>(
  url: string,
  options: Partial<SocketClientOptions> = {},
  socket: MemorySocket = new MemorySocket(),
): SocketClient<S> {
  const client = new SocketClient<S>(socket, {
    url,
    heartbeatInterval: Infinity,
    reconnect: { minDelay: 10, maxDelay: 20 },
    ...options,
  });
  clients.add(client);
  return client;
}

/** Disconnects every client and shuts down every server made since the last call. */
export async function cleanUp(): Promise<void> {
  const all = [
    ...[...clients].map((c) => c.disconnect().catch(() => undefined)),
    ...[...servers].map((s) => s.shutdown().catch(() => undefined)),
  ];
  clients.clear();
  servers.clear();
  await Promise.all(all);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}
