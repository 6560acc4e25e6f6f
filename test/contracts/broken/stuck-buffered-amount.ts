import { MemorySocket } from '../../../adapters/memory/index.js';
import type { Frame } from '../../../src/index.js';

/**
 * Flaw: the client socket reports every byte it ever sent as still buffered (a running total
 * instead of what waits), so a producer waiting for it to drain waits forever.
 */
export class StuckBufferedAmountSocket extends MemorySocket {
  #written = 0;

  protected override doSend(frame: Frame): void {
    this.#written += typeof frame === 'string' ? frame.length : frame.byteLength;
    super.doSend(frame);
  }

  protected override doBufferedAmount(): number {
    return this.#written;
  }
}
