import type { AnyFrame } from '../ports/types.js';

/**
 * True when a frame is larger than `limit` bytes: the UTF-8 length of a text frame, the length of
 * a binary one, and for a structured frame the UTF-8 length of its JSON text. Nothing is encoded
 * unless the frame is close to the limit: a UTF-16 code unit is at most 3 bytes of UTF-8, and a
 * structured frame is first bounded by {@link structuredBound}.
 */
export function exceedsBytes(frame: AnyFrame, limit: number): boolean {
  if (typeof frame === 'string') {
    if (frame.length * 3 <= limit) return false;
    if (frame.length > limit) return true;
    return utf8Length(frame) > limit;
  }
  if (!Array.isArray(frame)) return (frame as Uint8Array).byteLength > limit;
  if (structuredBound(frame, limit) <= limit) return false;
  return structuredSize(frame, limit) > limit;
}

/**
 * A frame's size for accounting, such as the frames held while a client is authorised: UTF-16
 * code units for text (what it occupies in memory, roughly), bytes for binary, and for a
 * structured frame the UTF-8 length of its JSON text, counted until it passes `stopAbove` (so a
 * cyclic value ends too).
 */
export function frameSize(frame: AnyFrame, stopAbove: number): number {
  if (typeof frame === 'string') return frame.length;
  if (!Array.isArray(frame)) return (frame as Uint8Array).byteLength;
  return structuredSize(frame, stopAbove);
}

/** Deeper than this, {@link structuredBound} continues with an explicit stack. */
const MAX_RECURSION = 200;

/**
 * An upper bound on the UTF-8 length of `JSON.stringify(value)`, counting 6 bytes per UTF-16 code
 * unit of every string (`\u001f` is the longest escape) and 25 per number (`-0.0000012345678901234567`). Stops walking soon
 * after the bound passes `stopAbove`. Any depth is walked without overflowing the stack.
 */
export function structuredBound(value: unknown, stopAbove: number): number {
  return typeof value === 'object' && value !== null
    ? boundOf(value, 0, stopAbove, 0)
    : scalarBound(value);
}

/** The bound of a value that is not a container (`-1` for one that is). */
function scalarBound(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length * 6 + 2;
    case 'number':
      return 25;
    case 'boolean':
      return 5;
    case 'object':
      if (value === null) return 4;
      return value instanceof Date ? 29 : -1; // an ISO string, or null when invalid
    default:
      return 4; // written as null (in arrays) or left out
  }
}

// Scalars are counted in the loops rather than by a call each: this walk runs on every received
// structured frame.
function boundOf(value: object, bytes: number, stopAbove: number, depth: number): number {
  if (depth > MAX_RECURSION) return boundWithStack(value, bytes, stopAbove);
  if (Array.isArray(value)) {
    bytes += 2 + value.length; // brackets and commas
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const scalar = scalarBound(item);
      bytes = scalar >= 0 ? bytes + scalar : boundOf(item as object, bytes, stopAbove, depth + 1);
      if (bytes > stopAbove) return bytes;
    }
    return bytes;
  }
  if (value instanceof Date) return bytes + 29;
  bytes += 2;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
    const item = record[key];
    const scalar = scalarBound(item);
    bytes += key.length * 6 + 4; // "":,
    bytes = scalar >= 0 ? bytes + scalar : boundOf(item as object, bytes, stopAbove, depth + 1);
    if (bytes > stopAbove) return bytes;
  }
  return bytes;
}

function boundWithStack(value: object, bytes: number, stopAbove: number): number {
  const stack: unknown[] = [value];
  while (stack.length > 0 && bytes <= stopAbove) {
    const item = stack.pop();
    const scalar = scalarBound(item);
    if (scalar >= 0) bytes += scalar;
    else if (Array.isArray(item)) {
      bytes += 2 + item.length;
      for (let i = 0; i < item.length; i++) stack.push(item[i]);
    } else {
      bytes += 2;
      const record = item as Record<string, unknown>;
      for (const key in record) {
        if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
        bytes += key.length * 6 + 4;
        stack.push(record[key]);
      }
    }
  }
  return bytes;
}

/**
 * The UTF-8 length of `JSON.stringify(value)` for a JSON value, or a frame `CompactCodec` made
 * (which may hold `Date`s; it normalises every other `toJSON`), counted without building the text
 * and without recursion, so any depth is measured; stops soon after passing `stopAbove`.
 */
export function structuredSize(value: unknown, stopAbove: number): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && bytes <= stopAbove) {
    const item = stack.pop();
    switch (typeof item) {
      case 'string':
        bytes += jsonStringLength(item);
        break;
      case 'number':
        bytes += Number.isFinite(item) ? String(item).length : 4;
        break;
      case 'boolean':
        bytes += item ? 4 : 5;
        break;
      case 'object':
        if (item === null) bytes += 4;
        else if (item instanceof Date) bytes += JSON.stringify(item).length;
        else if (Array.isArray(item)) {
          bytes += item.length === 0 ? 2 : 1 + item.length; // brackets and commas
          for (let i = 0; i < item.length; i++) stack.push(item[i] ?? null);
        } else {
          let members = 0;
          const record = item as Record<string, unknown>;
          for (const key in record) {
            if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
            const member = record[key];
            const kind = typeof member;
            if (kind === 'undefined' || kind === 'function' || kind === 'symbol') continue;
            members++;
            bytes += jsonStringLength(key) + 1; // and the colon
            stack.push(member);
          }
          bytes += members === 0 ? 2 : 1 + members; // braces and commas
        }
        break;
      default:
        bytes += 4; // null
    }
  }
  return bytes;
}

/** The UTF-8 length of `JSON.stringify(text)`, quotes and escapes included. */
function jsonStringLength(text: string): number {
  let bytes = 2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) bytes += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
    else if (c === 0x22 || c === 0x5c) bytes += 2;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 6; // a lone surrogate is escaped
    } else if (c >= 0xdc00 && c <= 0xdfff) bytes += 6;
    else bytes += 3;
  }
  return bytes;
}

/** Counts the UTF-8 bytes of `text` (lone surrogates count as 3, as `TextEncoder` writes U+FFFD). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
