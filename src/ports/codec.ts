import type { AnyFrame } from './types.js';

/**
 * Turns protocol envelopes into frames and back. The domain uses {@link JsonCodec} (JSON text) on
 * transports that carry text and binary, and `CompactCodec` (JSON arrays as structured frames) on
 * transports that declare `supports.structured`, unless a codec is given.
 *
 * `decode` must throw a `PlugSocketError` with code `INVALID_MESSAGE` for input it cannot read,
 * and must never produce objects whose prototype a peer can influence (`__proto__`,
 * `constructor.prototype`).
 */
export interface Codec {
  /** A short name, for logs and docs. */
  readonly name: string;
  /**
   * True when `encode` makes structured frames (arrays). Such a codec can only be used on a
   * transport that declares `supports.structured`; the domain refuses the pair otherwise.
   * @default false
   */
  readonly structured?: boolean;
  /** Encodes one envelope (a plain JSON-compatible object) into a frame. */
  encode(value: unknown): AnyFrame;
  /** Decodes one frame into a plain value. */
  decode(frame: AnyFrame): unknown;
}
