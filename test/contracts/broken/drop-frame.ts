import type { Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client silently loses its 500th frame, as a transport with a buffer bug would. */
export class FrameDroppingSocket extends MemorySocket {
  #sent = 0;

  protected override doSend(frame: Frame): void {
    if (++this.#sent === 500) return;
    super.doSend(frame);
  }
}
