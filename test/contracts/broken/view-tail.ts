// Breaks: a binary frame is exactly its view: "respect its `byteOffset` and `byteLength`"
// (src/ports/types.ts `Frame`).
// Flaw: the server honours `byteOffset` but not `byteLength`
// (`new Uint8Array(frame.buffer, frame.byteOffset)`), so a view sends everything after it too.
import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server sends a view from its offset to the end of its buffer. */
export class ViewTailServer extends MemorySocketServer {
  protected override doSend(peer: MemorySocket, frame: Frame): void {
    super.doSend(
      peer,
      typeof frame === 'string' ? frame : new Uint8Array(frame.buffer, frame.byteOffset),
    );
  }
}
