import type { Codec } from '../ports/codec.js';
import type { AnyFrame, StructuredFrame } from '../ports/types.js';
import { decodeJsonText } from './json-text.js';
import { kindNamed, MSG_KIND } from './kinds.js';
import { decodeStructured } from './structured.js';

export { CompactKinds } from './kinds.js';

/**
 * Protocol envelopes as structured frames: JSON arrays that a transport declaring
 * `supports.structured` carries as values, so an envelope is serialised once, by the transport,
 * instead of being JSON text inside the transport's own JSON. The domain picks it for such
 * transports; it is not usable on the others (`structured: true`).
 *
 * The common frame, a message with a type and a payload only, is `[type, payload]`; every other
 * frame is `[number, ...fields]`, the number from {@link CompactKinds} and the fields in the order
 * of the kinds table, trailing absent ones left out and `null` for an absent one before a present
 * one (`[0, type, headers | null, from | null, payload]`). Over Socket.IO a message is then
 * `42["v","chat",{…}]`, the size and parse cost of a plain `socket.emit('chat', {…})`.
 *
 * Payloads keep JSON's meaning on every transport: what arrives is what `JSON.stringify` would
 * have written, so binary values, objects with `toJSON` and values nested deeper than 32 levels
 * are passed through a JSON round trip before they are handed to the transport, and values JSON
 * cannot write (`BigInt`, cycles) throw the same `TypeError` as with {@link JsonCodec}.
 *
 * `decode` also reads text and binary frames as {@link JsonCodec} does (a peer may send either),
 * and rejects with `INVALID_MESSAGE` a structured frame of unknown shape, one holding binary data,
 * functions or `BigInt`s, one with a `__proto__` key or a `constructor.prototype` key at any depth,
 * or one nesting arrays and objects deeper than `MAX_NESTING_DEPTH` (128 levels, the frame's own
 * array included), which could not be encoded again; with `maxBytes`, it rejects a larger
 * structured frame with `PAYLOAD_TOO_LARGE`. A refused request frame (`join`, `leave`, `req`)
 * whose id was readable throws a `RefusedRequestError` carrying that id.
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
    const kind = typeof value === 'object' && value !== null ? kindNamed(e.k) : undefined;
    if (kind === undefined) throw new TypeError('CompactCodec encodes protocol envelopes only');
    // The short form of the commonest frame: a message with a type and a payload only.
    if (
      kind === MSG_KIND &&
      e.headers === undefined &&
      e.from === undefined &&
      typeof e.type === 'string'
    ) {
      const payload = jsonValue(e.payload);
      if (payload !== undefined) return [e.type, payload];
    }
    const frame: unknown[] = [kind.id];
    const fields = kind.fields;
    let length = 1;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      const item = field.data ? jsonValue(e[field.name]) : e[field.name];
      if (item === undefined) frame.push(null);
      else {
        frame.push(item);
        length = i + 2;
      }
    }
    frame.length = length; // trailing absent fields are left out
    return frame;
  }

  /**
   * Decodes a structured frame into its envelope, or a text or binary frame as JSON.
   * @throws {PlugSocketError} `INVALID_MESSAGE` for a frame it cannot read, `PAYLOAD_TOO_LARGE`
   *   for a structured frame over `maxBytes`.
   */
  decode(frame: AnyFrame): unknown {
    if (!Array.isArray(frame)) return decodeJsonText(frame as string | Uint8Array);
    return decodeStructured(frame as readonly unknown[], this.#maxBytes);
  }
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
