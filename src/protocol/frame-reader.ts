import { PlugSocketError } from '../errors.js';
import type { TransportCapabilities } from '../ports/capabilities.js';
import type { Codec } from '../ports/codec.js';
import type { AnyFrame } from '../ports/types.js';
import { CompactCodec } from './compact-codec.js';
import type { ClientEnvelope, ServerEnvelope } from './envelope.js';
import { exceedsBytes } from './frame-size.js';
import { JsonCodec } from './json-codec.js';
import type { Side } from './kinds.js';
import { parseEnvelope } from './parse.js';
import { refusal } from './refused-request.js';

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

/** What a frame reader needs to know. */
export interface FrameReaderOptions {
  /** What the transport carries (`structured` decides the default codec). */
  supports: TransportCapabilities;
  /**
   * The codec to use. @default `CompactCodec` bounded by `maxPayload` where the transport declares
   *   `supports.structured`, `JsonCodec` elsewhere
   */
  codec?: Codec;
  /**
   * The largest frame accepted, in bytes: of a text frame's UTF-8, a binary frame, or a structured
   * frame's JSON text.
   */
  maxPayload: number;
  /** Who owns the reader (`'SocketServer'`), for the messages of programmer errors. */
  owner: string;
}

/** Reads received frames into envelopes: size check, then decode, then parse. */
export interface FrameReader<E> {
  /** The codec frames are decoded with; encode what you send with it too. */
  readonly codec: Codec;
  /**
   * The envelope a received frame holds.
   * @throws {PlugSocketError} `PAYLOAD_TOO_LARGE` for a frame over `maxPayload`, `INVALID_MESSAGE`
   *   for one that does not decode or is not a valid envelope of the peer's side. When the frame
   *   is a request the peer may send (`join`, `leave`, `req`) with a valid id, the error is a
   *   {@link RefusedRequestError} whose `requestId` is that id: answer it with `nack`.
   */
  read(frame: AnyFrame): E;
}

/** The envelopes read on a side: a server reads what clients send, and the reverse. */
export type EnvelopeReadBy<S extends Side> = S extends 'server' ? ClientEnvelope : ServerEnvelope;

/**
 * The frame reader of one side of a connection (`side` is where it runs: a server's reader reads
 * client frames). Chooses the codec ({@link chooseCodec}) and checks sizes so that a frame is
 * walked once: a structured frame is measured by the default `CompactCodec` during its validating
 * walk, anything else by `exceedsBytes` before decoding (which encodes nothing but text near the
 * limit).
 * @throws {TypeError} for a structured codec on a transport without structured frames.
 * @throws {RangeError} when `maxPayload` is not a positive number.
 */
export function createFrameReader<S extends Side>(
  options: FrameReaderOptions & { side: S },
): FrameReader<EnvelopeReadBy<S>> {
  const { supports, codec: given, maxPayload, owner, side } = options;
  if (typeof maxPayload !== 'number' || !(maxPayload > 0)) {
    throw new RangeError(`${owner}: maxPayload must be a positive number, got ${maxPayload}`);
  }
  if (side !== 'server' && side !== 'client') {
    throw new TypeError(`${owner}: side must be 'server' or 'client'`);
  }
  const { codec, boundsStructured } = chooseCodec(supports, given, owner, maxPayload);
  const sender: Side = side === 'server' ? 'client' : 'server';
  const tooLarge = `frame exceeds ${maxPayload} bytes`;
  return {
    codec,
    read(frame: AnyFrame): EnvelopeReadBy<S> {
      // A structured frame is measured by the codec's own walk when it bounds them (the default).
      if (!(boundsStructured && Array.isArray(frame)) && exceedsBytes(frame, maxPayload)) {
        throw refusal(new PlugSocketError('PAYLOAD_TOO_LARGE', tooLarge), frame, sender);
      }
      let decoded: unknown;
      try {
        decoded = codec.decode(frame);
      } catch (error) {
        throw refusal(PlugSocketError.from(error, 'INVALID_MESSAGE'), frame, sender);
      }
      return parseEnvelope(decoded, sender) as EnvelopeReadBy<S>;
    },
  };
}

/** {@link createFrameReader} for a server: reads what clients send. */
export function createServerFrameReader(options: FrameReaderOptions): FrameReader<ClientEnvelope> {
  return createFrameReader({ ...options, side: 'server' });
}

/** {@link createFrameReader} for a client: reads what servers send. */
export function createClientFrameReader(options: FrameReaderOptions): FrameReader<ServerEnvelope> {
  return createFrameReader({ ...options, side: 'client' });
}
