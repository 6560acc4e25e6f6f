// Shared fixtures of the domain unit specs: a deterministic flush of the memory transport, a fake
// clock that leaves promise jobs alone, and a raw protocol client for speaking frames by hand.
import { expect } from 'chai';
import sinon from 'sinon';
import { MemorySocket, MemorySocketServer } from '../../adapters/memory/index.js';
import type { ServerConnection } from '../../src/index.js';
import {
  PlugSocketError,
  SocketClient,
  type AnySchema,
  SocketServer,
  type CloseInfo,
  type ConnectOptions,
  type ErrorCode,
  type Frame,
  type SocketClientOptions,
  type SocketServerOptions,
} from '../../src/index.js';

/**
 * Resolves once every pending promise job has run. The memory transport delivers through promise
 * jobs only, and a macrotask runs after the microtask queue is empty, so after `flush()` every
 * frame, open and close already in flight has arrived: no timing is involved.
 */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A fake clock for timeouts. Only timers and `Date` are faked: promise jobs, `queueMicrotask` and
 * `setImmediate` stay real, so memory delivery and {@link flush} keep working. Advance with
 * `await clock.tickAsync(ms)`.
 */
export function useFakeClock(): sinon.SinonFakeTimers {
  return sinon.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
}

/**
 * A fake clock (see {@link useFakeClock}) for each test of the enclosing `describe`, restored after
 * it together with sinon's stubs and every server and client the test made. Read it as `t.clock`.
 */
export function fakeClockEachTest(): { readonly clock: sinon.SinonFakeTimers } {
  const box = {} as { clock: sinon.SinonFakeTimers };
  beforeEach(() => {
    box.clock = useFakeClock();
  });
  afterEach(async () => {
    box.clock.restore();
    sinon.restore();
    await cleanUp();
  });
  return box;
}

let counter = 0;
/** A memory server name no other test uses. */
export function uniqueName(prefix = 'unit'): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** Resolves with what `promise` rejected with; fails the test when it fulfils. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail('expected the promise to reject');
}

/** Asserts that `error` is a plugsocket error with `code`. */
export function expectCode(error: unknown, code: ErrorCode): asserts error is PlugSocketError {
  expect(PlugSocketError.is(error), `expected a PlugSocketError, got ${String(error)}`).to.equal(
    true,
  );
  expect((error as PlugSocketError).code).to.equal(code);
}

/** Asserts that `fn` throws a plugsocket error with `code`. */
export function expectThrowsCode(fn: () => unknown, code: ErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expectCode(thrown, code);
}

/** A promise with its settle functions, for strategies and handlers the test resolves by hand. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const servers = new Set<SocketServer<AnySchema, never>>();
const clients = new Set<SocketClient>();
const rawSockets = new Set<MemorySocket>();

/**
 * Shuts down every server and disconnects every client the fixtures below made. Call it from
 * `afterEach`, after restoring any fake clock.
 */
export async function cleanUp(): Promise<void> {
  const all = [
    ...[...clients].map((c) => c.disconnect().catch(() => undefined)),
    ...[...rawSockets].map((s) => s.disconnect().catch(() => undefined)),
    ...[...servers].map((s) => s.shutdown().catch(() => undefined)),
  ];
  clients.clear();
  rawSockets.clear();
  servers.clear();
  await Promise.all(all);
}

/** A listening `SocketServer` on a fresh memory server. */
export interface ServerFixture<P = unknown> {
  readonly server: SocketServer<AnySchema, P>;
  readonly adapter: MemorySocketServer;
  readonly url: string;
}

/** Creates and starts a `SocketServer` over a fresh `MemorySocketServer`. */
export async function startServer<P = unknown>(
  options: SocketServerOptions<P> = {},
): Promise<ServerFixture<P>> {
  const adapter = new MemorySocketServer({ name: uniqueName('server') });
  const server = new SocketServer<AnySchema, P>(adapter, options);
  servers.add(server as unknown as SocketServer<AnySchema, never>);
  const address = await server.listen();
  return { server, adapter, url: address.url ?? '' };
}

/**
 * A `SocketClient` over a fresh `MemorySocket`. Its own heartbeat is off unless a test asks (the
 * specs that count timers count the server's); `test/unit/client-heartbeat.test.ts` covers it.
 */
export function newClient(url: string, options: Partial<SocketClientOptions> = {}): SocketClient {
  const client = new SocketClient(new MemorySocket(), {
    url,
    heartbeatInterval: Infinity,
    ...options,
  });
  clients.add(client);
  return client;
}

/** Connects a fresh client and returns it once the server admitted it. */
export async function connectClient(
  url: string,
  options: Partial<SocketClientOptions> = {},
): Promise<SocketClient> {
  const client = newClient(url, options);
  await client.connect();
  return client;
}

/**
 * A client that speaks the wire protocol by hand over a bare `MemorySocket`, recording every frame
 * and close it receives.
 */
export class RawClient {
  readonly socket = new MemorySocket();
  readonly frames: Frame[] = [];
  readonly closes: CloseInfo[] = [];

  constructor() {
    rawSockets.add(this.socket);
    this.socket.on('message', (frame) => this.frames.push(frame));
    this.socket.on('close', (info) => this.closes.push(info));
  }

  /** Opens the transport (the server may still be authorising). */
  async open(url: string, extras: Omit<ConnectOptions, 'url'> = {}): Promise<this> {
    await this.socket.connect({ url, ...extras });
    return this;
  }

  /** Sends a value as JSON text. */
  sendJson(value: unknown): boolean {
    return this.socket.send(JSON.stringify(value));
  }

  /** Sends a raw frame. */
  sendRaw(frame: Frame): boolean {
    return this.socket.send(frame);
  }

  /** Every received frame, parsed as JSON. */
  get messages(): Record<string, unknown>[] {
    return this.frames.map(
      (frame) =>
        JSON.parse(typeof frame === 'string' ? frame : new TextDecoder().decode(frame)) as Record<
          string,
          unknown
        >,
    );
  }

  /** The received frames of one kind. */
  ofKind(kind: string): Record<string, unknown>[] {
    return this.messages.filter((m) => m.k === kind);
  }
}

/**
 * Ends a client's connection from the server side as a vanished network would: no close
 * handshake, 1006 on both sides. (The session behind a `ConnectedClient` holds its transport
 * connection: internal, used by tests only.)
 */
export function dropConnection(server: SocketServer<AnySchema, unknown>, clientId: string): void {
  const session = server.getClient(clientId) as unknown as
    { connection: ServerConnection<MemorySocket> } | undefined;
  expect(session, `client ${clientId} on the server`).to.not.equal(undefined);
  (server.adapter as MemorySocketServer).terminateConnection(session!.connection);
}
