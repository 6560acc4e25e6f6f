import { PlugSocketError } from '../errors.js';
import type { Codec } from '../ports/codec.js';
import type { AnyFrame, StructuredFrame } from '../ports/types.js';
import { structuredSize } from '../frame-size.js';
import { decodeJsonText } from './json-codec.js';

/**
 * Numbers that open a control frame in the compact form (a message opens with its type, a
 * string). See docs/protocol.md, "Structured frames".
 */
export const CompactKinds = Object.freeze({
  /** `[0, type, headers | null]` or `[0, type, headers | null, payload]` */
  MSG: 0,
  /** `[1, id, topic]` */
  JOIN: 1,
  /** `[2, id, topic]` */
  LEAVE: 2,
  /** `[3, version, clientId]` */
  WELCOME: 3,
  /** `[4, id]` */
  ACK: 4,
  /** `[5, id, error]` */
  NACK: 5,
  /** `[6, error]` */
  ERROR: 6,
} as const);

/**
 * Protocol envelopes as structured frames: JSON arrays that a transport declaring
 * `supports.structured` carries as values, so an envelope is serialised once, by the transport,
 * instead of being JSON text inside the transport's own JSON. The domain picks it for such
 * transports; it is not usable on the others (`structured: true`).
 *
 * The common frame, a message without headers, is `[type, payload]`; every other frame opens with a
 * number from {@link CompactKinds}. Over Socket.IO a message is then `42["v","chat",{…}]`, the
 * size and parse cost of a plain `socket.emit('chat', {…})`.
 *
 * Payloads keep JSON's meaning on every transport: what arrives is what `JSON.stringify` would
 * have written, so binary values, objects with `toJSON` and values nested deeper than 32 levels
 * are passed through a JSON round trip before they are handed to the transport, and values JSON
 * cannot write (`BigInt`, cycles) throw the same `TypeError` as with {@link JsonCodec}.
 *
 * `decode` also reads text and binary frames as {@link JsonCodec} does (a peer may send either),
 * and rejects with `INVALID_MESSAGE` a structured frame of unknown shape, one holding binary data,
 * or one with a `__proto__` key or a `constructor.prototype` key at any depth; with `maxBytes`, it
 * rejects a larger structured frame with `PAYLOAD_TOO_LARGE`.
 */
export class CompactCodec implements Codec {
  /** `'compact-json'` */
  readonly name = 'compact-json';
  /** Makes structured frames: only for transports that declare `supports.structured`. */
  readonly structured = true;
  readonly #maxBytes: number;

  /**
   * @param options.maxBytes the largest structured frame `decode` accepts, as the UTF-8 length of
   *   its JSON text; a larger one throws `PAYLOAD_TOO_LARGE`. Measured during the walk that
   *   validates the frame, so a server or client that made its codec from its `maxPayload` does
   *   not walk a frame twice. @default Infinity
   * @throws {RangeError} when `maxBytes` is not a positive number.
   */
  constructor(options: { maxBytes?: number } = {}) {
    const { maxBytes = Infinity } = options;
    if (typeof maxBytes !== 'number' || !(maxBytes > 0)) {
      throw new RangeError(`CompactCodec: maxBytes must be a positive number, got ${maxBytes}`);
    }
    this.#maxBytes = maxBytes;
  }

  /**
   * Encodes one envelope of the protocol (`{ k: 'msg' | 'join' | … }`).
   * @throws {TypeError} for a value that is not an envelope, or a payload JSON cannot write.
   */
  encode(value: unknown): StructuredFrame {
    const e = value as Record<string, unknown>;
    switch (typeof value === 'object' && value !== null ? e.k : undefined) {
      case 'msg': {
        const payload = jsonValue(e.payload);
        const headers = e.headers === undefined ? undefined : jsonValue(e.headers);
        if (headers === undefined && payload !== undefined && typeof e.type === 'string') {
          return [e.type, payload];
        }
        return payload === undefined
          ? [CompactKinds.MSG, e.type, headers ?? null]
          : [CompactKinds.MSG, e.type, headers ?? null, payload];
      }
      case 'join':
        return [CompactKinds.JOIN, e.id, e.topic];
      case 'leave':
        return [CompactKinds.LEAVE, e.id, e.topic];
      case 'welcome':
        return [CompactKinds.WELCOME, e.v, e.id];
      case 'ack':
        return [CompactKinds.ACK, e.id];
      case 'nack':
        return [CompactKinds.NACK, e.id, jsonValue(e.error)];
      case 'error':
        return [CompactKinds.ERROR, jsonValue(e.error)];
      default:
        throw new TypeError('CompactCodec encodes protocol envelopes only');
    }
  }

  /**
   * Decodes a structured frame into its envelope, or a text or binary frame as JSON.
   * @throws {PlugSocketError} `INVALID_MESSAGE` for a frame it cannot read.
   */
  decode(frame: AnyFrame): unknown {
    if (!Array.isArray(frame)) return decodeJsonText(frame as string | Uint8Array);
    return decodeStructured(frame as readonly unknown[], this.#maxBytes);
  }
}

/**
 * Decodes a structured frame (the compact form) into its envelope, validating it in one walk that
 * also bounds its size: over `max` bytes of JSON it throws `PAYLOAD_TOO_LARGE` as soon as the
 * bound passes, so an oversized frame is not walked to its end. Also used by `JsonCodec`, so that
 * either codec reads what the other sends.
 * @throws {PlugSocketError} `INVALID_MESSAGE` or `PAYLOAD_TOO_LARGE`.
 */
export function decodeStructured(f: readonly unknown[], max: number): unknown {
  try {
    checkPlainJson(f, 0, 0, max);
  } catch (error) {
    if (error !== OVER_LIMIT) throw error;
    // The bound passed the limit: measure exactly, and finish validating if the frame fits.
    if (structuredSize(f, max) > max) {
      throw new PlugSocketError('PAYLOAD_TOO_LARGE', `frame exceeds ${max} bytes`);
    }
    checkPlainJson(f, 0, 0, Infinity);
  }
  const head = f[0];
  if (typeof head === 'string') {
    if (f.length !== 2) throw malformed('message');
    return { k: 'msg', type: head, payload: f[1] };
  }
  switch (head) {
    case CompactKinds.MSG: {
      if (f.length !== 3 && f.length !== 4) throw malformed('message');
      const headers = f[2];
      const envelope: Record<string, unknown> = { k: 'msg', type: f[1] };
      if (f.length === 4) envelope.payload = f[3];
      if (headers !== null) envelope.headers = headers;
      return envelope;
    }
    case CompactKinds.JOIN:
    case CompactKinds.LEAVE:
      if (f.length !== 3) throw malformed(head === CompactKinds.JOIN ? 'join' : 'leave');
      return { k: head === CompactKinds.JOIN ? 'join' : 'leave', id: f[1], topic: f[2] };
    case CompactKinds.WELCOME:
      if (f.length !== 3) throw malformed('welcome');
      return { k: 'welcome', v: f[1], id: f[2] };
    case CompactKinds.ACK:
      if (f.length !== 2) throw malformed('ack');
      return { k: 'ack', id: f[1] };
    case CompactKinds.NACK:
      if (f.length !== 3) throw malformed('nack');
      return { k: 'nack', id: f[1], error: f[2] };
    case CompactKinds.ERROR:
      if (f.length !== 2) throw malformed('error');
      return { k: 'error', error: f[1] };
    default:
      throw new PlugSocketError(
        'INVALID_MESSAGE',
        f.length === 0
          ? 'empty structured frame'
          : `unknown structured frame kind ${
              typeof head === 'number' || typeof head === 'boolean' || head === null
                ? String(head)
                : `(${typeof head})`
            }`,
      );
  }
}

function malformed(kind: string): PlugSocketError {
  return new PlugSocketError('INVALID_MESSAGE', `malformed structured ${kind} frame`);
}

// ---------------------------------------------------------------- encoding: JSON's meaning

/** Deeper than this, a value is normalised by a JSON round trip instead of being walked. */
const MAX_WALK_DEPTH = 32;

/**
 * The value JSON would carry for `value` as an object member: `undefined` when JSON would leave the
 * member out. Plain data (the common case) is returned as it is, after one walk.
 */
function jsonValue(value: unknown): unknown {
  switch (typeof value) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      return JSON.parse(JSON.stringify(value)); // throws JSON's own TypeError
    case 'object':
      return value !== null && needsRoundTrip(value, 0) ? roundTrip(value) : value;
    default:
      return value;
  }
}

function roundTrip(value: object): unknown {
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? undefined : JSON.parse(text);
}

function isBinary(value: object): boolean {
  return (
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    (typeof Blob !== 'undefined' && value instanceof Blob)
  );
}

/**
 * True when handing `value` to a transport as it is could differ from JSON: binary data (which a
 * structured transport would send as binary), `toJSON` methods other than `Date`'s, `BigInt`s (so
 * that JSON's error is thrown here, not inside the transport) and nesting deep enough to be a
 * cycle.
 */
function needsRoundTrip(value: object, depth: number): boolean {
  if (depth > MAX_WALK_DEPTH || isBinary(value)) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object') {
        if (item !== null && needsRoundTrip(item, depth + 1)) return true;
      } else if (typeof item === 'bigint') return true;
    }
    return false;
  }
  if (value instanceof Date) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
    const item = record[key];
    if (typeof item === 'object') {
      if (item !== null && needsRoundTrip(item, depth + 1)) return true;
    } else if (typeof item === 'bigint') return true;
  }
  return false;
}

// ---------------------------------------------------------------- decoding: untrusted values

/** Deeper than this, {@link checkPlainJson} continues with an explicit stack. */
const MAX_RECURSION = 200;

/**
 * Thrown by {@link checkPlainJson} when its running size bound passes the limit; caught inside this
 * module only. One instance: throwing it builds no stack trace.
 */
const OVER_LIMIT = new Error('structured frame over the size limit');

/**
 * Rejects what a JSON text frame could not hold and what could reach an object's prototype:
 * binary data, functions, a `__proto__` own key, a `constructor` key whose value has a `prototype`
 * key. Keeps `bytes` plus an upper bound on the value's JSON size (as `structuredBound` counts
 * it) and throws {@link OVER_LIMIT} as soon as it passes `limit`, so that one walk validates and
 * measures, and an oversized frame is not walked to its end. Any depth the transport delivered is
 * checked without overflowing the stack; below {@link MAX_RECURSION} levels a value met twice (as
 * in a cycle, which JSON cannot express) is refused, so the walk always ends.
 */
function checkPlainJson(value: object, depth: number, bytes: number, limit: number): number {
  if (depth > MAX_RECURSION) return checkPlainJsonWithStack(value, bytes, limit);
  if (Array.isArray(value)) {
    bytes += 2 + value.length; // brackets and commas
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      switch (typeof item) {
        case 'string':
          bytes += item.length * 6 + 2;
          break;
        case 'object':
          bytes = item === null ? bytes + 4 : checkPlainJson(item, depth + 1, bytes, limit);
          break;
        case 'function':
          throw notJson();
        default:
          bytes += 25;
      }
      if (bytes > limit) throw OVER_LIMIT;
    }
    return bytes;
  }
  if (value instanceof Date) return bytes + 29; // only from an in-process transport
  assertPlainRecord(value);
  bytes += 2;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
    const item = record[key];
    bytes += key.length * 6 + 4; // "":,
    switch (typeof item) {
      case 'string':
        bytes += item.length * 6 + 2;
        break;
      case 'object':
        if (item === null) bytes += 4;
        else {
          assertNotPrototypeHolder(key, item);
          bytes = checkPlainJson(item, depth + 1, bytes, limit);
        }
        break;
      case 'function':
        throw notJson();
      default:
        bytes += 25;
    }
    if (bytes > limit) throw OVER_LIMIT;
  }
  return bytes;
}

function checkPlainJsonWithStack(value: object, bytes: number, limit: number): number {
  const stack: object[] = [value];
  // JSON text cannot repeat a value, so a repeat (a cycle, which would never end) is refused.
  const seen = new Set<object>();
  const visit = (item: unknown, key: string | undefined): void => {
    switch (typeof item) {
      case 'string':
        bytes += item.length * 6 + 2;
        break;
      case 'object':
        if (item === null) bytes += 4;
        else {
          if (key !== undefined) assertNotPrototypeHolder(key, item);
          stack.push(item);
        }
        break;
      case 'function':
        throw notJson();
      default:
        bytes += 25;
    }
  };
  for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
    if (seen.has(current)) {
      throw new PlugSocketError('INVALID_MESSAGE', 'a structured frame may not repeat a value');
    }
    seen.add(current);
    if (Array.isArray(current)) {
      bytes += 2 + current.length;
      for (let i = 0; i < current.length; i++) visit(current[i], undefined);
    } else if (current instanceof Date) bytes += 29;
    else {
      assertPlainRecord(current);
      bytes += 2;
      const record = current as Record<string, unknown>;
      for (const key in record) {
        if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
        bytes += key.length * 6 + 4;
        visit(record[key], key);
      }
    }
    if (bytes > limit) throw OVER_LIMIT;
  }
  return bytes;
}

function assertPlainRecord(value: object): void {
  if (isBinary(value)) {
    throw new PlugSocketError('INVALID_MESSAGE', 'a structured frame may not hold binary data');
  }
  if (Object.prototype.hasOwnProperty.call(value, '__proto__')) {
    throw new PlugSocketError('INVALID_MESSAGE', 'frame contains a forbidden "__proto__" key');
  }
}

function assertNotPrototypeHolder(key: string, item: object): void {
  if (key === 'constructor' && Object.prototype.hasOwnProperty.call(item, 'prototype')) {
    throw new PlugSocketError(
      'INVALID_MESSAGE',
      'frame contains a forbidden "constructor.prototype" key',
    );
  }
}

function notJson(): PlugSocketError {
  return new PlugSocketError('INVALID_MESSAGE', 'a structured frame may hold JSON values only');
}
