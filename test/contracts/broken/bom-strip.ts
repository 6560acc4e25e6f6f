// Breaks: a text frame arrives as the same string (src/ports/types.ts `Frame`); writing-an-adapter
// §2: decode with `ignoreBOM`, as a leading U+FEFF belongs to the application.
// Flaw: text is decoded with a default `new TextDecoder()`, which strips a leading BOM.
import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

const encoder = new TextEncoder();

/** Flaw: the server decodes text with the BOM-stripping default decoder. */
export class BomStrippingServer extends MemorySocketServer {
  readonly #decoder = new TextDecoder();

  protected override doSend(peer: MemorySocket, frame: Frame): void {
    super.doSend(
      peer,
      typeof frame === 'string' ? this.#decoder.decode(encoder.encode(frame)) : frame,
    );
  }
}
