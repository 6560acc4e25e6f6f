import type { Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client clears the high bit of every byte it sends, as a 7-bit-clean channel would. */
export class SevenBitSocket extends MemorySocket {
  protected override doSend(frame: Frame): void {
    super.doSend(typeof frame === 'string' ? frame : frame.map((byte) => byte & 0x7f));
  }
}
