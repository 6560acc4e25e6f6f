import type { RawData } from 'ws';
import type { Frame } from '../../src/index.js';

/**
 * Turns what `ws` delivers into a plugsocket frame: a string for text, the bytes for binary.
 * With ws's default `binaryType` ('nodebuffer') the data is always a single Buffer, so the other
 * branches only run when an application changed `binaryType` on a native socket.
 *
 * A binary frame is handed over without a copy, like ws does: it may be a view into a larger
 * socket chunk, so readers must honour `byteOffset` / `byteLength`. ws reads into a new chunk every
 * time and never writes to one again, so the frame is the receiver's to keep, as the port says.
 * @internal
 */
export function toFrame(data: RawData, isBinary: boolean): Frame {
  // Not `data.toString()`: on the RawData union that would stringify an array of Buffers.
  const bytes = Buffer.isBuffer(data)
    ? data
    : Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.from(data);
  // ws has already validated the UTF-8 of text frames (unless skipUTF8Validation is set).
  return isBinary ? bytes : bytes.toString('utf8');
}

/**
 * The bytes of a frame as one Buffer of its own, made once so that sending it to many sockets
 * costs no per-recipient string encoding or Buffer wrapping. Binary is copied: ws keeps the
 * Buffer it is given until the socket has written it (a write queued behind others, or a
 * compression in progress), while the caller may change its bytes as soon as `send()` returned.
 * @internal
 */
export function toBuffer(frame: Frame): Buffer {
  return typeof frame === 'string' ? Buffer.from(frame, 'utf8') : ownBytes(frame);
}

/**
 * A copy of binary bytes for ws to keep (see {@link toBuffer}), as a Buffer so that ws sends it
 * without wrapping it again.
 * @internal
 */
export function ownBytes(bytes: Uint8Array): Buffer {
  // Buffer.from(view) copies the view's bytes (only Buffer.from(arrayBuffer, …) would share them).
  return Buffer.from(bytes);
}
