import {
  type AbstractSocket,
  type AbstractSocketServer,
  type CloseInfo,
  type Frame,
  type PlugSocketError,
  type ServerConnection,
} from '../../../../src/index.js';

/** Everything a client emitted, in order. */
export interface ClientLog {
  opens: number;
  messages: Frame[];
  closes: CloseInfo[];
  errors: PlugSocketError[];
}

/** Everything a server emitted, in order. */
export interface ServerLog {
  connections: ServerConnection[];
  messages: { connection: ServerConnection; frame: Frame }[];
  disconnects: { connection: ServerConnection; info: CloseInfo }[];
  pongs: ServerConnection[];
  errors: PlugSocketError[];
}

/** Starts recording a client's events. */
export function recordClient(client: AbstractSocket): ClientLog {
  const log: ClientLog = { opens: 0, messages: [], closes: [], errors: [] };
  client.on('open', () => log.opens++);
  client.on('message', (frame) => log.messages.push(frame));
  client.on('close', (info) => log.closes.push(info));
  client.on('error', (error) => log.errors.push(error));
  return log;
}

/** Starts recording a server's events. */
export function recordServer(server: AbstractSocketServer): ServerLog {
  const log: ServerLog = { connections: [], messages: [], disconnects: [], pongs: [], errors: [] };
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
