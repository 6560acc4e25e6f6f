// Breaks: a received `Uint8Array` belongs to the receiver: the adapter never writes to its memory
// again, so it may be kept (the ownership rule adopted for src/ports/types.ts `Frame`).
// Flaw: to save allocations the client decodes every binary frame into one receive scratch buffer,
// grown only when a frame does not fit, and delivers a view into it; the next frame overwrites the
// bytes of the frames the application kept.
import type { Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client delivers binary frames as views into a reused scratch buffer. */
export class ScratchReceiveSocket extends MemorySocket {
  #scratch = new Uint8Array(1024);

  override _receive(frame: Frame): void {
    if (typeof frame === 'string') return super._receive(frame);
    const data = frame.slice();
    queueMicrotask(() => {
      if (this.#scratch.byteLength < data.byteLength)
        this.#scratch = new Uint8Array(data.byteLength);
      this.#scratch.set(data);
      this.emitMessage(this.#scratch.subarray(0, data.byteLength));
    });
  }
}
