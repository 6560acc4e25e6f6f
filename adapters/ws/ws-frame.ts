import type { RawData } from 'ws';
import type { Frame } from '../../src/index.js';

/**
 * Turns what `ws` delivers into a plugsocket frame: a string for text, the bytes for binary.
 * With ws's default `binaryType` ('nodebuffer') the data is always a single Buffer, so the other
 * branches only run when an application changed `binaryType` on a native socket.
 *
 * A binary frame is handed over without a copy, like ws does: it may be a view into a larger
 * socket chunk, so readers must honour `byteOffset` / `byteLength`.
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
 * The bytes of a frame as one Buffer, made once so that sending it to many sockets costs no
 * per-recipient string encoding or Buffer wrapping.
 * @internal
 */
export function toBuffer(frame: Frame): Buffer {
  if (typeof frame === 'string') return Buffer.from(frame, 'utf8');
  return Buffer.isBuffer(frame)
    ? frame
    : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}
