import type {
  AbstractSocket,
  AbstractSocketServer,
  CloseInfo,
  Frame,
  Handshake,
  PlugSocketError,
  ServerConnection,
} from '../src/index.js';

/** How often {@link waitFor} re-checks its predicate, in milliseconds. */
const POLL_INTERVAL = 5;

/**
 * Resolves after `ms` milliseconds. Used for quiet periods: to assert that an event fired
 * exactly once, the suite waits a little after the first one to see whether a second follows.
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves once `predicate()` returns true; rejects with an `Error` naming `what` when that has
 * not happened within `ms` milliseconds. Polls with timers, so it never spins and never outlives
 * its bound.
 *
 * @example
 * ```ts
 * await waitFor(() => events.messages.length === 1000, 5000, '1000 messages');
 * ```
 */
export function waitFor(predicate: () => boolean, ms: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise<void>((resolve, reject) => {
    const check = (): void => {
      let done: boolean;
      try {
        done = predicate();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (done) resolve();
      else if (Date.now() >= deadline)
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      else setTimeout(check, POLL_INTERVAL);
    };
    check();
  });
}

/**
 * Like {@link waitFor}, but resolves with false instead of rejecting when time runs out, for tests
 * that want to report *what* arrived rather than only that something was missing.
 */
export async function waitUntil(predicate: () => boolean, ms: number): Promise<boolean> {
  try {
    await waitFor(predicate, ms);
    return true;
  } catch {
    return false;
  }
}

/**
 * Settles like `promise`, or rejects with an `Error` naming `what` when `promise` has not settled
 * within `ms` milliseconds. The timer is cleared either way, so nothing keeps the process alive.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what = 'operation',
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves with the rejection reason of `promise`, or rejects when `promise` fulfils (or does not
 * settle within `ms`). Lets a test assert on an error's `code` without try/catch noise.
 */
export async function rejectionOf(
  promise: Promise<unknown>,
  ms: number,
  what = 'operation',
): Promise<unknown> {
  const outcome = await withTimeout(
    promise.then(
      () => ({ rejected: false as const }),
      (error: unknown) => ({ rejected: true as const, error }),
    ),
    ms,
    what,
  );
  if (!outcome.rejected) throw new Error(`expected ${what} to reject, but it resolved`);
  return outcome.error;
}

/** Everything one client emitted, in order, as recorded by {@link collectClient}. */
export interface ClientEvents {
  /** One entry per `open` event. */
  readonly opens: number[];
  /** Every `message` frame, in arrival order. */
  readonly messages: Frame[];
  /** Every `close` event's info. */
  readonly closes: CloseInfo[];
  /** Every `error` event's error. */
  readonly errors: PlugSocketError[];
  /** Removes the collector's listeners. Idempotent. */
  stop(): void;
}

/**
 * Records every event of `client` from now on. Register it before `connect()` to see the first
 * events of a connection.
 */
export function collectClient(client: AbstractSocket): ClientEvents {
  const opens: number[] = [];
  const messages: Frame[] = [];
  const closes: CloseInfo[] = [];
  const errors: PlugSocketError[] = [];
  const onOpen = (): void => void opens.push(Date.now());
  const onMessage = (frame: Frame): void => void messages.push(frame);
  const onClose = (info: CloseInfo): void => void closes.push(info);
  const onError = (error: PlugSocketError): void => void errors.push(error);
  client.on('open', onOpen).on('message', onMessage).on('close', onClose).on('error', onError);
  let stopped = false;
  return {
    opens,
    messages,
    closes,
    errors,
    stop() {
      if (stopped) return;
      stopped = true;
      client
        .off('open', onOpen)
        .off('message', onMessage)
        .off('close', onClose)
        .off('error', onError);
    },
  };
}

/** One server-side event that concerns a connection. */
export interface ConnectionEvent<T> {
  /** The connection the event is about. */
  readonly connection: ServerConnection;
  /** The event's payload. */
  readonly value: T;
}

/** Everything one server emitted, in order, as recorded by {@link collectServer}. */
export interface ServerEventLog {
  /** Every `connection` event with its handshake. */
  readonly connections: ConnectionEvent<Handshake>[];
  /** Every `message` event. */
  readonly messages: ConnectionEvent<Frame>[];
  /** Every `disconnect` event. */
  readonly disconnects: ConnectionEvent<CloseInfo>[];
  /** Every `pong` event. */
  readonly pongs: ConnectionEvent<undefined>[];
  /** Every `error` event (`connection` is undefined for server-wide errors). */
  readonly errors: {
    readonly connection: ServerConnection | undefined;
    readonly error: PlugSocketError;
  }[];
  /** The frames that arrived from one connection, in order. */
  messagesFrom(connection: ServerConnection): Frame[];
  /** The disconnect events of one connection. */
  disconnectsOf(connection: ServerConnection): CloseInfo[];
  /** Removes the collector's listeners. Idempotent. */
  stop(): void;
}

/** Records every event of `server` from now on. */
export function collectServer(server: AbstractSocketServer): ServerEventLog {
  const log = {
    connections: [] as ConnectionEvent<Handshake>[],
    messages: [] as ConnectionEvent<Frame>[],
    disconnects: [] as ConnectionEvent<CloseInfo>[],
    pongs: [] as ConnectionEvent<undefined>[],
    errors: [] as { connection: ServerConnection | undefined; error: PlugSocketError }[],
  };
  const onConnection = (connection: ServerConnection, value: Handshake): void =>
    void log.connections.push({ connection, value });
  const onMessage = (connection: ServerConnection, value: Frame): void =>
    void log.messages.push({ connection, value });
  const onDisconnect = (connection: ServerConnection, value: CloseInfo): void =>
    void log.disconnects.push({ connection, value });
  const onPong = (connection: ServerConnection): void =>
    void log.pongs.push({ connection, value: undefined });
  const onError = (connection: ServerConnection | undefined, error: PlugSocketError): void =>
    void log.errors.push({ connection, error });
  server
    .on('connection', onConnection)
    .on('message', onMessage)
    .on('disconnect', onDisconnect)
    .on('pong', onPong)
    .on('error', onError);
  let stopped = false;
  return {
    ...log,
    messagesFrom: (connection) =>
      log.messages.filter((m) => m.connection === connection).map((m) => m.value),
    disconnectsOf: (connection) =>
      log.disconnects.filter((d) => d.connection === connection).map((d) => d.value),
    stop() {
      if (stopped) return;
      stopped = true;
      server
        .off('connection', onConnection)
        .off('message', onMessage)
        .off('disconnect', onDisconnect)
        .off('pong', onPong)
        .off('error', onError);
    },
  };
}

/**
 * `length` pseudo-random bytes from a fixed seed (xorshift32). Deterministic, so a failure
 * reproduces byte for byte, and free of Node's `crypto` so the suite runs anywhere.
 */
export function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** A `Uint8Array` holding every byte value 0–255 once, in order. */
export function everyByteValue(): Uint8Array {
  return Uint8Array.from({ length: 256 }, (_, i) => i);
}

/**
 * Describes where two frames first differ, or returns undefined when they are equal (same kind,
 * same content). Keeps failure messages short for megabyte frames.
 */
export function frameDifference(actual: Frame | undefined, expected: Frame): string | undefined {
  if (actual === undefined) return 'no frame arrived';
  if (typeof expected === 'string') {
    if (typeof actual !== 'string') return `expected a string, got ${describeFrame(actual)}`;
    if (actual === expected) return undefined;
    if (actual.length <= 80 && expected.length <= 80) {
      return `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
    }
    const at = firstDifference(
      actual.length,
      expected.length,
      (i) => actual.charCodeAt(i) === expected.charCodeAt(i),
    );
    return `strings differ at index ${at} (lengths ${actual.length} vs ${expected.length})`;
  }
  if (!(actual instanceof Uint8Array)) return `expected a Uint8Array, got ${describeFrame(actual)}`;
  if (actual.byteLength === expected.byteLength && actual.every((b, i) => b === expected[i]))
    return undefined;
  const at = firstDifference(
    actual.byteLength,
    expected.byteLength,
    (i) => actual[i] === expected[i],
  );
  return `bytes differ at index ${at} (lengths ${actual.byteLength} vs ${expected.byteLength})`;
}

/**
 * Describes the first difference between two frame sequences (a missing, extra, reordered or
 * altered frame), or returns undefined when they are equal.
 */
export function sequenceDifference(
  actual: readonly Frame[],
  expected: readonly Frame[],
): string | undefined {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    const difference = frameDifference(actual[i], expected[i]);
    if (difference !== undefined) return `frame ${i} of ${expected.length}: ${difference}`;
  }
  if (actual.length !== expected.length) {
    return `expected ${expected.length} frames, got ${actual.length}`;
  }
  return undefined;
}

/** A short description of a frame for failure messages. */
export function describeFrame(frame: unknown): string {
  if (typeof frame === 'string') return `string(${frame.length})`;
  if (frame instanceof Uint8Array) return `${frame.constructor.name}(${frame.byteLength})`;
  return Object.prototype.toString.call(frame);
}

function firstDifference(a: number, b: number, same: (i: number) => boolean): number {
  const n = Math.min(a, b);
  for (let i = 0; i < n; i++) if (!same(i)) return i;
  return n;
}
