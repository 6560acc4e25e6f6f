// Reading structured frames (the compact form), shared by CompactCodec and JsonCodec so that
// either side may use either codec: one walk validates and bounds the frame, then the kinds table
// turns its positions into an envelope.
import { PlugSocketError } from '../errors.js';
import { kindNumbered, MSG_KIND } from './kinds.js';
import { MAX_NESTING_DEPTH, nestingTooDeep } from './limits.js';
import { refusal } from './refused-request.js';
import { structuredSize } from './frame-size.js';

/**
 * Decodes a structured frame into its envelope, validating it in one walk that also bounds its
 * size: over `max` bytes of JSON it throws `PAYLOAD_TOO_LARGE` as soon as the bound passes, so an
 * oversized frame is not walked to its end.
 *
 * The compact form is `[number, ...fields]` with the fields of the kind in table order, trailing
 * absent ones left out and `null` for an absent one before a present one (only a payload or
 * result, always last, may be `null` itself); or `[type, payload]` for a message with a type and a
 * payload only. Field values are checked by the envelope parser, not here.
 * @throws {PlugSocketError} `INVALID_MESSAGE` for an unknown shape, binary data, functions, a
 *   prototype key, or nesting deeper than {@link MAX_NESTING_DEPTH}; `PAYLOAD_TOO_LARGE` over
 *   `max`; a {@link RefusedRequestError} when the frame is a request with a valid id.
 */
export function decodeStructured(f: readonly unknown[], max: number): unknown {
  lastSize = -1;
  try {
    stringUnits = 0;
    try {
      const bound = checkPlainJson(f, 1, 0, max);
      // The bound counts six bytes per string character; its size counts one.
      lastSize = bound - 5 * stringUnits;
    } catch (error) {
      if (error !== OVER_LIMIT) throw error;
      // The bound passed the limit: measure exactly, and finish validating if the frame fits.
      const exact = structuredSize(f, max);
      if (exact > max) {
        throw new PlugSocketError('PAYLOAD_TOO_LARGE', `frame exceeds ${max} bytes`);
      }
      checkPlainJson(f, 1, 0, Infinity);
      lastSize = exact;
    }
    return envelopeOf(f);
  } catch (error) {
    lastSize = -1;
    throw refusal(error, f);
  }
}

function envelopeOf(f: readonly unknown[]): Record<string, unknown> {
  const head = f[0];
  if (typeof head === 'string') {
    if (f.length !== 2) throw malformed('message');
    return { k: 'msg', type: head, payload: f[1] };
  }
  const kind = kindNumbered(head);
  if (kind === undefined) {
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
  if (f.length < kind.minLength || f.length > kind.maxLength) {
    throw malformed(kind === MSG_KIND ? 'message' : kind.k);
  }
  const envelope: Record<string, unknown> = { k: kind.k };
  const fields = kind.fields;
  for (let i = 1; i < f.length; i++) {
    const field = fields[i - 1];
    const item = f[i];
    // `null` holds the place of an absent field, except where it is a value (payload, result).
    if (item !== undefined && (item !== null || field.nullable)) envelope[field.name] = item;
  }
  return envelope;
}

function malformed(kind: string): PlugSocketError {
  return new PlugSocketError('INVALID_MESSAGE', `malformed structured ${kind} frame`);
}

/**
 * Thrown by {@link checkPlainJson} when its running size bound passes the limit; caught inside this
 * module only. One instance: throwing it builds no stack trace.
 */
const OVER_LIMIT = new Error('structured frame over the size limit');

/**
 * Rejects what a JSON text frame could not hold, what could reach an object's prototype, and what
 * nests deeper than {@link MAX_NESTING_DEPTH} (`value` is at `depth`, the frame at 1): binary
 * data, functions, a `__proto__` own key, a `constructor` key whose value has a `prototype` key.
 * Keeps `bytes` plus an upper bound on the value's JSON size (as `structuredBound` counts it) and
 * throws {@link OVER_LIMIT} as soon as it passes `limit`, so that one walk validates and measures,
 * and an oversized frame is not walked to its end. The depth limit bounds the recursion, and ends
 * the walk of a cyclic value (which JSON cannot express).
 */
/** String characters (values and keys) the current {@link checkPlainJson} walk passed. */
let stringUnits = 0;
/** The size of the structured frame last decoded, or -1 (see {@link takeStructuredSize}). */
let lastSize = -1;

/**
 * The size of the structured frame {@link decodeStructured} decoded last — its JSON text's length
 * with every string character counted once, as a text frame's length counts it — measured during
 * the validating walk, so accounting (the rate limit) need not walk the frame again. Returns -1
 * when no frame was decoded since the last call (another codec, or a refused frame).
 */
export function takeStructuredSize(): number {
  const size = lastSize;
  lastSize = -1;
  return size;
}

function checkPlainJson(value: object, depth: number, bytes: number, limit: number): number {
  if (depth > MAX_NESTING_DEPTH) throw nestingTooDeep();
  if (Array.isArray(value)) {
    bytes += 2 + value.length; // brackets and commas
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      switch (typeof item) {
        case 'string':
          bytes += item.length * 6 + 2;
          stringUnits += item.length;
          break;
        case 'object':
          bytes = item === null ? bytes + 4 : checkPlainJson(item, depth + 1, bytes, limit);
          break;
        case 'function':
        case 'bigint':
        case 'symbol':
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
    stringUnits += key.length;
    switch (typeof item) {
      case 'string':
        bytes += item.length * 6 + 2;
        stringUnits += item.length;
        break;
      case 'object':
        if (item === null) bytes += 4;
        else {
          assertNotPrototypeHolder(key, item);
          bytes = checkPlainJson(item, depth + 1, bytes, limit);
        }
        break;
      case 'function':
      case 'bigint':
      case 'symbol':
        throw notJson();
      default:
        bytes += 25;
    }
    if (bytes > limit) throw OVER_LIMIT;
  }
  return bytes;
}

function isBinary(value: object): boolean {
  return (
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    (typeof Blob !== 'undefined' && value instanceof Blob)
  );
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
