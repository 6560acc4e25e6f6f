// Breaks: a text frame arrives as the same string (src/ports/types.ts `Frame`), whatever its size.
// Flaw: a streaming decoder turns each 16 KiB chunk of the UTF-8 body into text on its own
// (`chunk.toString('utf8')` per chunk instead of one `StringDecoder`), so every character split by
// a chunk edge becomes U+FFFD.
import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

const CHUNK = 16 * 1024;

/** Flaw: the server decodes large text frames chunk by chunk. */
export class ChunkDecodingServer extends MemorySocketServer {
  protected override doSend(peer: MemorySocket, frame: Frame): void {
    if (typeof frame === 'string' && frame.length > CHUNK) {
      const bytes = Buffer.from(frame, 'utf8');
      let text = '';
      for (let i = 0; i < bytes.length; i += CHUNK) {
        text += bytes.subarray(i, i + CHUNK).toString('utf8');
      }
      frame = text;
    }
    super.doSend(peer, frame);
  }
}
