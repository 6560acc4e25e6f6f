// Breaks: one `send()` is one frame, complete (src/ports/types.ts `Frame`; "frames arrive complete
// and in order").
// Flaw: newline-delimited framing that does not escape `\n` inside a frame, so a text frame
// holding newlines arrives as several frames.
import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server frames text by newlines without escaping them. */
export class NewlineSplittingServer extends MemorySocketServer {
  protected override doSend(peer: MemorySocket, frame: Frame): void {
    if (typeof frame !== 'string') return super.doSend(peer, frame);
    for (const line of frame.split('\n')) super.doSend(peer, line);
  }
}
