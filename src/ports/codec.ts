import type { Frame } from './types.js';

/**
 * Turns protocol envelopes into frames and back. The default is {@link JsonCodec}.
 *
 * `decode` must throw a `PlugSocketError` with code `INVALID_MESSAGE` for input it cannot read,
 * and must never produce objects whose prototype a peer can influence (`__proto__`,
 * `constructor.prototype`).
 */
export interface Codec {
  /** A short name, for logs and docs. */
  readonly name: string;
  /** Encodes one envelope (a plain JSON-compatible object) into a frame. */
  encode(value: unknown): Frame;
  /** Decodes one frame into a plain value. */
  decode(frame: Frame): unknown;
}
