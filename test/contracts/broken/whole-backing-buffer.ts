// Breaks: a binary frame is exactly its view: "respect its `byteOffset` and `byteLength`"
// (src/ports/types.ts `Frame`).
// Flaw: the client sends `new Uint8Array(frame.buffer)`, the whole backing ArrayBuffer, so a
// pooled `Buffer` or a `subarray` sends its neighbours' bytes too.
import type { Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client sends the whole ArrayBuffer behind a view. */
export class WholeBufferSocket extends MemorySocket {
  protected override doSend(frame: Frame): void {
    super.doSend(typeof frame === 'string' ? frame : new Uint8Array(frame.buffer));
  }
}
