import type { TransportCapabilities } from '../ports/capabilities.js';
import type { Codec } from '../ports/codec.js';
import { CompactCodec } from './compact-codec.js';
import { JsonCodec } from './json-codec.js';

/** The codec a server or client uses, and whether it bounds structured frames itself. */
export interface CodecChoice {
  codec: Codec;
  /** True when `codec.decode` refuses structured frames over the owner's `maxPayload`. */
  boundsStructured: boolean;
}

/**
 * The codec a server or client uses on a transport: the one given, or by default `CompactCodec`
 * (bounded by `maxPayload`, so a received frame is walked once) where the transport carries
 * structured frames, and `JsonCodec` elsewhere.
 * @throws {TypeError} for a codec that makes structured frames on a transport without them.
 */
export function chooseCodec(
  supports: TransportCapabilities,
  codec: Codec | undefined,
  owner: string,
  maxPayload: number,
): CodecChoice {
  if (codec === undefined) {
    return supports.structured
      ? { codec: new CompactCodec({ maxBytes: maxPayload }), boundsStructured: true }
      : { codec: new JsonCodec(), boundsStructured: false };
  }
  if (codec.structured === true && !supports.structured) {
    throw new TypeError(
      `${owner}: codec "${codec.name}" makes structured frames, which this transport does not carry (supports.structured is false)`,
    );
  }
  return { codec, boundsStructured: false };
}
