// Reading JSON text frames, shared by JsonCodec and CompactCodec: UTF-8, JSON.parse, the
// prototype-pollution guard and the nesting limit.
import { PlugSocketError } from '../errors.js';
import { MAX_NESTING_DEPTH, nestingTooDeep } from './limits.js';
import { refusal } from './refused-request.js';

// Frames that could smuggle a prototype key: the literal names, or any \u escape (which could
// spell them). Only those take the slower walk that inspects every key.
const SUSPICIOUS = /__proto__|prototype|\\u/;

/**
 * Text shorter than this cannot nest deeper than {@link MAX_NESTING_DEPTH}: every level takes an
 * opening and a closing bracket. So the common small frame is never walked for its depth.
 */
const SHALLOW_TEXT = 2 * (MAX_NESTING_DEPTH + 1);

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a text frame, or a binary frame holding UTF-8 JSON text, into its JSON value.
 * @throws {PlugSocketError} `INVALID_MESSAGE` for invalid UTF-8, malformed JSON, a `__proto__` key
 *   or a `constructor` key holding a `prototype` key at any depth, or nesting deeper than
 *   {@link MAX_NESTING_DEPTH}; a {@link RefusedRequestError} for the last two in a request frame.
 */
export function decodeJsonText(frame: string | Uint8Array): unknown {
  let text: string;
  if (typeof frame === 'string') text = frame;
  else {
    try {
      text = decoder.decode(frame);
    } catch (error) {
      throw new PlugSocketError('INVALID_MESSAGE', 'frame is not valid UTF-8', { cause: error });
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PlugSocketError('INVALID_MESSAGE', 'frame is not valid JSON', { cause: error });
  }
  if (typeof value !== 'object' || value === null) return value;
  try {
    if (SUSPICIOUS.test(text)) checkKeysAndDepth(value, 1);
    else if (
      text.length >= SHALLOW_TEXT &&
      hasOpeningsBeyondLimit(text) &&
      nestsTooDeep(value, 1)
    ) {
      throw nestingTooDeep();
    }
  } catch (error) {
    throw refusal(error, value);
  }
  return value;
}

/**
 * True when `text` holds more than {@link MAX_NESTING_DEPTH} opening brackets (`[` or `{`, in
 * strings too): fewer cannot nest that deep. Counted with `indexOf`, which stops after the
 * limit, so a frame of a few containers however long (a big string, a flat array of numbers) is
 * never walked.
 */
function hasOpeningsBeyondLimit(text: string): boolean {
  const brackets = occurrences(text, '[', MAX_NESTING_DEPTH + 1);
  return (
    brackets > MAX_NESTING_DEPTH ||
    brackets + occurrences(text, '{', MAX_NESTING_DEPTH + 1 - brackets) > MAX_NESTING_DEPTH
  );
}

/** How many times `char` occurs in `text`, counting up to `atMost`. */
function occurrences(text: string, char: string, atMost: number): number {
  let count = 0;
  for (let at = text.indexOf(char); at !== -1 && count < atMost; at = text.indexOf(char, at + 1)) {
    count++;
  }
  return count;
}

/**
 * True when a container at `depth` (the frame itself is 1) holds containers deeper than
 * {@link MAX_NESTING_DEPTH}. Recursion stops at the limit, so the stack stays shallow.
 */
function nestsTooDeep(value: object, depth: number): boolean {
  if (depth > MAX_NESTING_DEPTH) return true;
  if (Array.isArray(value)) {
    // Arrays that open with a number are read by a loop of their own: V8 reads doubles without
    // boxing them where it has not also read arrays of objects (measured: a payload of small
    // numeric arrays decodes about 8 % faster than with one shared loop).
    return typeof value[0] === 'number'
      ? numbersNestTooDeep(value, depth)
      : itemsNestTooDeep(value, depth);
  }
  // JSON.parse makes own enumerable data properties only, so for…in sees exactly those.
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (typeof item === 'object' && item !== null && nestsTooDeep(item, depth + 1)) return true;
  }
  return false;
}

function itemsNestTooDeep(list: unknown[], depth: number): boolean {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item === 'object' && item !== null && nestsTooDeep(item, depth + 1)) return true;
  }
  return false;
}

/** {@link itemsNestTooDeep} for arrays that open with a number (usually arrays of numbers). */
function numbersNestTooDeep(list: unknown[], depth: number): boolean {
  for (let i = 1; i < list.length; i++) {
    const item = list[i];
    if (typeof item === 'object' && item !== null && nestsTooDeep(item, depth + 1)) return true;
  }
  return false;
}

/**
 * Refuses prototype keys (the policy of fastify's secure-json-parse: a `__proto__` key, or a
 * `constructor` key whose value has a `prototype` key) and nesting deeper than
 * {@link MAX_NESTING_DEPTH}, in one walk of a parsed value.
 */
function checkKeysAndDepth(value: object, depth: number): void {
  if (depth > MAX_NESTING_DEPTH) throw nestingTooDeep();
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) checkKeysAndDepth(item, depth + 1);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(record, '__proto__')) {
    throw new PlugSocketError('INVALID_MESSAGE', 'frame contains a forbidden "__proto__" key');
  }
  if (Object.prototype.hasOwnProperty.call(record, 'constructor')) {
    const ctor = record.constructor;
    if (
      typeof ctor === 'object' &&
      ctor !== null &&
      Object.prototype.hasOwnProperty.call(ctor, 'prototype')
    ) {
      throw new PlugSocketError(
        'INVALID_MESSAGE',
        'frame contains a forbidden "constructor.prototype" key',
      );
    }
  }
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (typeof item === 'object' && item !== null) checkKeysAndDepth(item, depth + 1);
  }
}
