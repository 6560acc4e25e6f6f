// Breaks: a string is a text frame and arrives as the same string (src/ports/types.ts `Frame`).
// Flaw: text goes through a C-string layer (a native binding that takes a `char *`), so it ends at
// its first NUL character.
import type { Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client cuts every text frame at its first `\0`. */
export class NulTruncatingSocket extends MemorySocket {
  protected override doSend(frame: Frame): void {
    super.doSend(typeof frame === 'string' ? frame.split('\0')[0] : frame);
  }
}
