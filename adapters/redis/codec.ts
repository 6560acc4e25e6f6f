// The wire form of a backplane packet: binary, one allocation to encode, no base64. A frame of
// bytes and every Uint8Array inside `data` travel raw; text travels as UTF-8. Any broker that
// carries opaque bytes (Redis pub/sub, NATS, a TCP link) can reuse it.
//
//   byte 0      0xB5, a marker (never the first byte of text or JSON, so garbage fails early)
//   byte 1      version, 1
//   byte 2      flags: bits 0-1 frame (0 none, 1 text, 2 bytes), bit 2 data present,
//               bit 3 data tagged (holds bytes or escaped keys, see json-bytes.ts),
//               bit 4 control (the adapter's own signalling, never handed to the domain)
//   then        varint-prefixed: sender id (UTF-8), kind (UTF-8),
//               [frame], [data JSON (UTF-8), [varint count, then each byte array varint-prefixed]]
//
// A varint is an unsigned LEB128 of at most 5 bytes (< 2^32). The input must be consumed exactly.
import type { BackplanePacket } from '../../src/index.js';
import { invalid, parseJsonWithBytes, stringifyWithBytes } from './json-bytes.js';

const MARKER = 0xb5;
const VERSION = 1;
const FRAME_TEXT = 1;
const FRAME_BYTES = 2;
const HAS_DATA = 1 << 2;
const TAGGED = 1 << 3;
const CONTROL = 1 << 4;
const KNOWN_FLAGS = 0b11111;

// ignoreBOM: a leading U+FEFF is part of the text, not a marker to strip.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A packet as {@link decodeBackplanePacket} reads it. */
export interface DecodedBackplanePacket {
  /** The id of the node that published it. */
  readonly from: string;
  /** The packet, equal to the one encoded (see {@link BackplanePacket}). */
  readonly packet: BackplanePacket;
  /** True for an adapter's own signalling ({@link EncodeBackplanePacketOptions.control}). */
  readonly control: boolean;
}

/** Options of {@link encodeBackplanePacket}. */
export interface EncodeBackplanePacketOptions {
  /**
   * Marks the packet as the adapter's own signalling (a node leaving, a node cleaned up), which a
   * receiving adapter handles itself instead of handing it to the domain.
   * @default false
   */
  readonly control?: boolean;
}

/**
 * Encodes `packet`, sent by node `from`, to bytes. Throws a `TypeError` for a packet the
 * backplane port does not carry (a kind not of 1–64 characters, a frame that is neither a string
 * nor a `Uint8Array`, data with a `Date`, `Map`, class instance, non-finite number, function,
 * bigint or a cycle), as `MemoryCluster` does.
 *
 * @example
 * ```ts
 * const bytes = encodeBackplanePacket({ kind: 'msg', data: { to: 'room', raw: new Uint8Array([1]) } }, 'node-a');
 * const { from, packet } = decodeBackplanePacket(bytes); // 'node-a', an equal packet
 * ```
 */
export function encodeBackplanePacket(
  packet: BackplanePacket,
  from: string,
  options: EncodeBackplanePacketOptions = {},
): Buffer {
  if (typeof from !== 'string' || from === '')
    throw new TypeError('a backplane packet needs a non-empty sender id');
  const kind = packet?.kind;
  if (typeof kind !== 'string' || kind.length === 0 || kind.length > 64)
    throw new TypeError('a backplane packet needs a kind of 1-64 characters');
  let flags = options.control === true ? CONTROL : 0;

  const frame = packet.frame;
  let frameLength = 0;
  if (frame !== undefined) {
    if (typeof frame === 'string') {
      flags |= FRAME_TEXT;
      frameLength = Buffer.byteLength(frame, 'utf8');
    } else if (frame instanceof Uint8Array) {
      flags |= FRAME_BYTES;
      frameLength = frame.byteLength;
    } else throw new TypeError('a backplane frame is a string or a Uint8Array');
  }

  let json = '';
  let jsonLength = 0;
  let blobs: readonly Uint8Array[] = [];
  if (packet.data !== undefined) {
    const split = stringifyWithBytes(packet.data, true);
    flags |= HAS_DATA | (split.tagged ? TAGGED : 0);
    json = split.json;
    jsonLength = Buffer.byteLength(json, 'utf8');
    blobs = split.blobs;
  }

  const fromLength = Buffer.byteLength(from, 'utf8');
  const kindLength = Buffer.byteLength(kind, 'utf8');
  let size = 3 + varintSize(fromLength) + fromLength + varintSize(kindLength) + kindLength;
  if (frame !== undefined) size += varintSize(frameLength) + frameLength;
  if (flags & HAS_DATA) {
    size += varintSize(jsonLength) + jsonLength;
    if (flags & TAGGED) {
      size += varintSize(blobs.length);
      for (const blob of blobs) size += varintSize(blob.byteLength) + blob.byteLength;
    }
  }

  const out = Buffer.allocUnsafe(size);
  out[0] = MARKER;
  out[1] = VERSION;
  out[2] = flags;
  let at = 3;
  at = writeVarint(out, at, fromLength);
  at += out.write(from, at, 'utf8');
  at = writeVarint(out, at, kindLength);
  at += out.write(kind, at, 'utf8');
  if (typeof frame === 'string') {
    at = writeVarint(out, at, frameLength);
    at += out.write(frame, at, 'utf8');
  } else if (frame instanceof Uint8Array) {
    at = writeVarint(out, at, frameLength);
    out.set(frame, at);
    at += frameLength;
  }
  if (flags & HAS_DATA) {
    at = writeVarint(out, at, jsonLength);
    at += out.write(json, at, 'utf8');
    if (flags & TAGGED) {
      at = writeVarint(out, at, blobs.length);
      for (const blob of blobs) {
        at = writeVarint(out, at, blob.byteLength);
        out.set(blob, at);
        at += blob.byteLength;
      }
    }
  }
  return out;
}

/**
 * Decodes bytes {@link encodeBackplanePacket} wrote. Byte arrays come back as plain
 * `Uint8Array`s that own their memory (copied out of `bytes`). Throws a `PlugSocketError` with
 * code `INVALID_MESSAGE` on anything malformed: a wrong marker or version, unknown flags, a
 * length past the end, bytes left over, text that is not UTF-8, data that is not JSON, a bad tag.
 */
/**
 * The sender field as {@link encodeBackplanePacket} writes it (its length, then its UTF-8), to
 * compare with {@link sentBy}.
 */
export function senderField(from: string): Uint8Array {
  const text = Buffer.from(from, 'utf8');
  const out = new Uint8Array(varintSize(text.byteLength) + text.byteLength);
  out.set(text, writeVarint(out, 0, text.byteLength));
  return out;
}

/**
 * True when an encoded packet names `sender` (from {@link senderField}) as its sender: a node
 * drops its own broadcasts with this, without decoding them. False for anything else, malformed
 * input included (which {@link decodeBackplanePacket} then refuses).
 */
export function sentBy(bytes: Uint8Array, sender: Uint8Array): boolean {
  if (bytes.byteLength < 3 + sender.byteLength || bytes[0] !== MARKER) return false;
  for (let i = 0; i < sender.byteLength; i++) if (bytes[3 + i] !== sender[i]) return false;
  return true;
}

export function decodeBackplanePacket(bytes: Uint8Array): DecodedBackplanePacket {
  if (!(bytes instanceof Uint8Array)) throw invalid('expected bytes');
  if (bytes.byteLength < 3) throw invalid(`${bytes.byteLength} bytes are too short`);
  if (bytes[0] !== MARKER) throw invalid('not a backplane packet (wrong marker byte)');
  if (bytes[1] !== VERSION) throw invalid(`unknown version ${bytes[1]}`);
  const flags = bytes[2];
  if ((flags & ~KNOWN_FLAGS) !== 0 || (flags & 0b11) === 3) throw invalid('unknown flags');
  const reader = new Reader(bytes, 3);
  const from = reader.text();
  if (from === '') throw invalid('empty sender id');
  const kind = reader.text();
  if (kind.length === 0 || kind.length > 64) throw invalid('a kind not of 1-64 characters');
  const packet: { kind: string; data?: unknown; frame?: string | Uint8Array } = { kind };
  const frameKind = flags & 0b11;
  if (frameKind === FRAME_TEXT) packet.frame = reader.text();
  else if (frameKind === FRAME_BYTES) packet.frame = reader.bytes();
  if (flags & HAS_DATA) {
    const json = reader.text();
    const blobs: Uint8Array[] = [];
    const tagged = (flags & TAGGED) !== 0;
    if (tagged) {
      const count = reader.varint();
      if (count > reader.left) throw invalid('more byte arrays than bytes');
      for (let i = 0; i < count; i++) blobs.push(reader.bytes());
    }
    packet.data = parseJsonWithBytes(json, blobs, tagged);
  } else if (flags & TAGGED) throw invalid('tagged flag without data');
  if (reader.left !== 0) throw invalid(`${reader.left} bytes left over`);
  return { from, packet, control: (flags & CONTROL) !== 0 };
}

/** Reads the fields of a packet in order, checking every length against what is left. */
class Reader {
  constructor(
    private readonly input: Uint8Array,
    private at: number,
  ) {}

  get left(): number {
    return this.input.byteLength - this.at;
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.at >= this.input.byteLength) throw invalid('a length runs past the end');
      const byte = this.input[this.at++];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) throw invalid('a length is too large');
        return value;
      }
    }
    throw invalid('a length is too long');
  }

  #span(): [number, number] {
    const length = this.varint();
    if (length > this.left) throw invalid(`a field of ${length} bytes runs past the end`);
    const start = this.at;
    this.at += length;
    return [start, this.at];
  }

  text(): string {
    const [start, end] = this.#span();
    try {
      return utf8.decode(this.input.subarray(start, end));
    } catch (error) {
      throw invalid('text that is not UTF-8', error);
    }
  }

  bytes(): Uint8Array {
    const [start, end] = this.#span();
    const out = new Uint8Array(end - start);
    out.set(this.input.subarray(start, end));
    return out;
  }
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}

const VALUE_MARKER = 0xb6;

/**
 * Encodes a JSON value that may hold `Uint8Array`s anywhere. A value without bytes (and without
 * object keys starting with `$`) is plain JSON text, readable as is; any other is binary: a
 * marker byte 0xB6, version 1, the JSON with tags, then the byte arrays (see json-bytes.ts).
 *
 * `strict` refuses what the backplane port does not carry, as {@link encodeBackplanePacket}
 * does; without it (the default) values are written the way `JSON.stringify` writes them, bytes
 * excepted (a `Date` becomes its ISO string, a class instance its own fields, a function is
 * dropped). Cycles and bigints throw a `TypeError`.
 */
export function encodeJsonValue(
  value: unknown,
  options: { readonly strict?: boolean } = {},
): Buffer {
  const split = stringifyWithBytes(value, options.strict === true);
  if (!split.tagged) return Buffer.from(split.json, 'utf8');
  const jsonLength = Buffer.byteLength(split.json, 'utf8');
  let size = 2 + varintSize(jsonLength) + jsonLength + varintSize(split.blobs.length);
  for (const blob of split.blobs) size += varintSize(blob.byteLength) + blob.byteLength;
  const out = Buffer.allocUnsafe(size);
  out[0] = VALUE_MARKER;
  out[1] = VERSION;
  let at = writeVarint(out, 2, jsonLength);
  at += out.write(split.json, at, 'utf8');
  at = writeVarint(out, at, split.blobs.length);
  for (const blob of split.blobs) {
    at = writeVarint(out, at, blob.byteLength);
    out.set(blob, at);
    at += blob.byteLength;
  }
  return out;
}

/**
 * Decodes what {@link encodeJsonValue} wrote. Throws a `PlugSocketError` with code
 * `INVALID_MESSAGE` on malformed input.
 */
export function decodeJsonValue(bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) throw invalid('expected bytes');
  if (bytes[0] !== VALUE_MARKER) {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch (error) {
      throw invalid('text that is not UTF-8', error);
    }
    return parseJsonWithBytes(text, [], false);
  }
  if (bytes[1] !== VERSION) throw invalid(`unknown version ${bytes[1]}`);
  const reader = new Reader(bytes, 2);
  const json = reader.text();
  const count = reader.varint();
  if (count > reader.left) throw invalid('more byte arrays than bytes');
  const blobs: Uint8Array[] = [];
  for (let i = 0; i < count; i++) blobs.push(reader.bytes());
  if (reader.left !== 0) throw invalid(`${reader.left} bytes left over`);
  return parseJsonWithBytes(json, blobs, true);
}
