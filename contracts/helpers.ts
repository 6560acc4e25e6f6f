import { expect } from './assert.js';
import type {
  AbstractSocket,
  AbstractSocketServer,
  AnyFrame,
  CloseInfo,
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
  /** Every `message` frame, in arrival order (arrays where the transport carries structured frames). */
  readonly messages: AnyFrame[];
  /** Every `close` event's info. */
  readonly closes: CloseInfo[];
  /** Every `error` event's error. */
  readonly errors: PlugSocketError[];
  /** One entry (`Date.now()`) per `pong` event. */
  readonly pongs: number[];
  /** Removes the collector's listeners. Idempotent. */
  stop(): void;
}

/**
 * Records every event of `client` from now on. Register it before `connect()` to see the first
 * events of a connection.
 */
export function collectClient(client: AbstractSocket): ClientEvents {
  const opens: number[] = [];
  const messages: AnyFrame[] = [];
  const closes: CloseInfo[] = [];
  const errors: PlugSocketError[] = [];
  const onOpen = (): void => void opens.push(Date.now());
  const onMessage = (frame: AnyFrame): void => void messages.push(frame);
  const onClose = (info: CloseInfo): void => void closes.push(info);
  const onError = (error: PlugSocketError): void => void errors.push(error);
  const pongs: number[] = [];
  const onPong = (): void => void pongs.push(Date.now());
  client
    .on('open', onOpen)
    .on('message', onMessage)
    .on('close', onClose)
    .on('error', onError)
    .on('pong', onPong);
  let stopped = false;
  return {
    opens,
    messages,
    closes,
    errors,
    pongs,
    stop() {
      if (stopped) return;
      stopped = true;
      client
        .off('open', onOpen)
        .off('message', onMessage)
        .off('close', onClose)
        .off('error', onError)
        .off('pong', onPong);
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
  readonly messages: ConnectionEvent<AnyFrame>[];
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
  messagesFrom(connection: ServerConnection): AnyFrame[];
  /** The disconnect events of one connection. */
  disconnectsOf(connection: ServerConnection): CloseInfo[];
  /** Removes the collector's listeners. Idempotent. */
  stop(): void;
}

/** Records every event of `server` from now on. */
export function collectServer(server: AbstractSocketServer): ServerEventLog {
  const log = {
    connections: [] as ConnectionEvent<Handshake>[],
    messages: [] as ConnectionEvent<AnyFrame>[],
    disconnects: [] as ConnectionEvent<CloseInfo>[],
    pongs: [] as ConnectionEvent<undefined>[],
    errors: [] as { connection: ServerConnection | undefined; error: PlugSocketError }[],
  };
  const onConnection = (connection: ServerConnection, value: Handshake): void =>
    void log.connections.push({ connection, value });
  const onMessage = (connection: ServerConnection, value: AnyFrame): void =>
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

/**
 * `length` characters of printable ASCII (0x20–0x7e) from a fixed seed: exactly `length` bytes of
 * UTF-8, and a truncated, reordered or re-chunked frame of it differs from the original.
 */
export function printableAscii(length: number, seed = 0x1badb002): string {
  const bytes = pseudoRandomBytes(length, seed);
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192).map((b) => 32 + (b % 95)));
  }
  return text;
}

/** The characters of {@link mixedUtf8Text}: 1, 2, 3 and 4 bytes of UTF-8. */
const MIXED_PIECES = ['a', 'é', '漢', '👋', 'b', 'ß', '✓', '😀', 'cd', 'ü'];

/**
 * At least `bytes` bytes (and at most 3 more) of UTF-8 text mixing 1-, 2-, 3- and 4-byte
 * characters in a pattern that drifts, so that character boundaries fall at every byte offset of
 * any chunking: a decoder that decodes chunk by chunk, or takes the text for latin1, mangles it.
 */
export function mixedUtf8Text(bytes: number): string {
  const encoder = new TextEncoder();
  const sizes = MIXED_PIECES.map((piece) => encoder.encode(piece).byteLength);
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const at = (i * 7 + (i >> 5)) % MIXED_PIECES.length;
    parts.push(MIXED_PIECES[at]);
    size += sizes[at];
  }
  return parts.join('');
}

/**
 * `text` with each lone surrogate (a UTF-16 half without its other half) replaced by U+FFFD: what
 * a transport that carries text as UTF-8 delivers, since UTF-8 cannot encode a lone surrogate.
 */
export function withLoneSurrogatesReplaced(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += text[i] + text[i + 1];
        i++;
        continue;
      }
    }
    out += c >= 0xd800 && c <= 0xdfff ? '\ufffd' : text[i];
  }
  return out;
}

/** A `Uint8Array` holding every byte value 0–255 once, in order. */
export function everyByteValue(): Uint8Array {
  return Uint8Array.from({ length: 256 }, (_, i) => i);
}

/**
 * Describes where two frames first differ, or returns undefined when they are equal (same kind,
 * same content). Keeps failure messages short for megabyte frames. A structured frame (an array)
 * equals only an array with equal elements: a string holding the same JSON is a different frame.
 */
export function frameDifference(
  actual: AnyFrame | undefined,
  expected: AnyFrame,
): string | undefined {
  if (actual === undefined) return 'no frame arrived';
  if (isStructured(expected)) {
    if (!isStructured(actual)) {
      return `expected a structured frame (array(${expected.length})), got ${describeFrame(actual)}`;
    }
    return jsonDifference(actual, expected, 'frame');
  }
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
 * Fails with `what` and the whole `difference` (from {@link frameDifference},
 * {@link sequenceDifference} or {@link jsonDifference}) unless it is undefined. Unlike
 * `expect(difference).to.equal(undefined)`, whose message some assertion libraries cut off after a few words, the
 * failure says where the frames differ.
 */
export function expectNoDifference(difference: string | undefined, what: string): void {
  if (difference !== undefined) expect.fail(`${what}: ${difference}`);
}

/**
 * Describes the first difference between two frame sequences (a missing, extra, reordered or
 * altered frame), or returns undefined when they are equal.
 */
export function sequenceDifference(
  actual: readonly AnyFrame[],
  expected: readonly AnyFrame[],
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

/**
 * Describes where two JSON values first differ, by path (`frame[1].user.tags[0]`), or returns
 * undefined when they are equal: same types all the way down (a number is not its string, `null` is
 * not a missing key), array elements in the same order, objects with the same keys (in any order).
 */
export function jsonDifference(
  actual: unknown,
  expected: unknown,
  at = 'value',
): string | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      return `at ${at}: expected array(${expected.length}), got ${describeValue(actual)}`;
    }
    const n = Math.min(actual.length, expected.length);
    for (let i = 0; i < n; i++) {
      const difference = jsonDifference(actual[i], expected[i], `${at}[${i}]`);
      if (difference !== undefined) return difference;
    }
    if (actual.length !== expected.length) {
      return `at ${at}: expected ${expected.length} elements, got ${actual.length}`;
    }
    return undefined;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
      return `at ${at}: expected an object, got ${describeValue(actual)}`;
    }
    // JSON objects are plain: a Map, Date or class instance (no own enumerable keys) is not `{}`.
    const prototype: unknown = Object.getPrototypeOf(actual);
    if (prototype !== Object.prototype && prototype !== null) {
      return `at ${at}: expected a plain object, got ${describeValue(actual)}`;
    }
    const want = expected as Record<string, unknown>;
    const have = actual as Record<string, unknown>;
    const missing = Object.keys(want).filter((key) => !Object.hasOwn(have, key));
    if (missing.length > 0) return `at ${at}: missing key ${JSON.stringify(missing[0])}`;
    const extra = Object.keys(have).filter((key) => !Object.hasOwn(want, key));
    if (extra.length > 0) return `at ${at}: unexpected key ${JSON.stringify(extra[0])}`;
    for (const key of Object.keys(want)) {
      const path = /^[A-Za-z_$][\w$]*$/.test(key)
        ? `${at}.${key}`
        : `${at}[${JSON.stringify(key)}]`;
      const difference = jsonDifference(have[key], want[key], path);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  if (actual === expected) return undefined;
  return `at ${at}: expected ${describeValue(expected)}, got ${describeValue(actual)}`;
}

/** A short description of a frame for failure messages. */
export function describeFrame(frame: unknown): string {
  if (typeof frame === 'string') {
    return frame.length <= 40
      ? `string(${frame.length}) ${JSON.stringify(frame)}`
      : `string(${frame.length})`;
  }
  if (frame instanceof Uint8Array) return `${frame.constructor.name}(${frame.byteLength})`;
  if (Array.isArray(frame)) return `array(${frame.length})`;
  return Object.prototype.toString.call(frame);
}

/** A short description of one JSON value (or of what arrived instead) for failure messages. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length <= 40 ? `the string ${JSON.stringify(value)}` : `string(${value.length})`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  return describeFrame(value);
}

/** True for a structured frame: an array (a text or binary frame never is one). */
export function isStructured(frame: unknown): frame is readonly unknown[] {
  return Array.isArray(frame);
}

function firstDifference(a: number, b: number, same: (i: number) => boolean): number {
  const n = Math.min(a, b);
  for (let i = 0; i < n; i++) if (!same(i)) return i;
  return n;
}
