import type { Codec } from '../ports/codec.js';
import type { AnyFrame } from '../ports/types.js';
import { decodeJsonText } from './json-text.js';
import { decodeStructured } from './structured.js';

/**
 * JSON text frames. Binary frames are accepted when they hold UTF-8 JSON.
 *
 * `decode` refuses with `INVALID_MESSAGE` malformed JSON, invalid UTF-8, a frame with a
 * `__proto__` key or a `constructor` key whose value has a `prototype` key at any depth (the
 * prototype-pollution policy of fastify's secure-json-parse), and a frame nesting arrays and
 * objects deeper than `MAX_NESTING_DEPTH` (128 levels, the envelope included), which
 * `JSON.stringify` could not be trusted to write again. A refused request frame (`join`, `leave`,
 * `req`) whose id was readable throws a `RefusedRequestError` carrying that id.
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
   * @throws {PlugSocketError} `INVALID_MESSAGE` for a frame it cannot read.
   */
  decode(frame: AnyFrame): unknown {
    if (Array.isArray(frame)) {
      // A peer on a structured transport may use CompactCodec: read its frames too.
      return decodeStructured(frame as readonly unknown[], Infinity);
    }
    return decodeJsonText(frame as string | Uint8Array);
  }
}
