// Breaks: binary frames arrive intact (src/ports/capabilities.ts `binary`), at any size the
// transport promises to carry.
// Flaw: the binary body is written as one 64 KiB chunk and the rest is lost (exactly 65,536 bytes
// still arrive whole).
import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

const CHUNK = 64 * 1024;

/** Flaw: the server sends only the first 64 KiB of a binary frame. */
export class Binary64kServer extends MemorySocketServer {
  protected override doSend(peer: MemorySocket, frame: Frame): void {
    super.doSend(
      peer,
      typeof frame !== 'string' && frame.byteLength > CHUNK ? frame.subarray(0, CHUNK) : frame,
    );
  }
}
