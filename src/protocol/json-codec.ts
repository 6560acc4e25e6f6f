import { PlugSocketError } from '../errors.js';
import type { Codec } from '../ports/codec.js';
import type { AnyFrame } from '../ports/types.js';
import { decodeStructured } from './compact-codec.js';

// Frames that could smuggle a prototype key: the literal names, or any \u escape (which could
// spell them). Only those take the slow path that inspects every key.
const SUSPICIOUS = /__proto__|prototype|\\u/;

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON text frames. Binary frames are accepted when they hold UTF-8 JSON.
 *
 * Safe against prototype pollution: a frame with a `__proto__` key, or a `constructor` key whose
 * value has a `prototype` key, is rejected with `INVALID_MESSAGE` (the policy of fastify's
 * secure-json-parse), as is malformed JSON or invalid UTF-8.
 */
export class JsonCodec implements Codec {
  /** `'json'` */
  readonly name = 'json';

  /** `JSON.stringify` of the envelope. */
  encode(value: unknown): string {
    return JSON.stringify(value);
  }

  /**
   * Parses a text or UTF-8 binary frame.
   * A structured frame (from a peer using `CompactCodec`) is read as `CompactCodec` reads it.
   * @throws {PlugSocketError} `INVALID_MESSAGE` for invalid UTF-8, malformed JSON or prototype keys.
   */
  decode(frame: AnyFrame): unknown {
    let text: string;
    if (typeof frame === 'string') text = frame;
    else if (Array.isArray(frame)) {
      // A peer on a structured transport may use CompactCodec: read its frames too.
      return decodeStructured(frame as readonly unknown[], Infinity);
    } else {
      try {
        text = decoder.decode(frame as Uint8Array);
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
    if (SUSPICIOUS.test(text)) assertNoPrototypeKeys(value);
    return value;
  }
}

/** The shared instance behind {@link decodeJsonText}. */
const JSON_CODEC = new JsonCodec();

/** Decodes a text or UTF-8 binary frame as {@link JsonCodec} does. */
export function decodeJsonText(frame: string | Uint8Array): unknown {
  return JSON_CODEC.decode(frame);
}

/**
 * Walks a parsed frame for prototype keys with an explicit stack, so any depth `JSON.parse`
 * accepted is checked (as `CompactCodec` checks structured frames) without overflowing the stack.
 */
function assertNoPrototypeKeys(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== 'object' || item === null) continue;
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) stack.push(item[i]);
      continue;
    }
    const record = item as Record<string, unknown>;
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
    for (const key of Object.keys(record)) stack.push(record[key]);
  }
}
