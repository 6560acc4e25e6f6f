// Breaks: a text frame arrives as the same string (src/ports/types.ts `Frame`), whatever its size.
// Flaw: a "fast path" for big text encodes it with `Buffer.from(text, 'latin1')` above 64 Ki
// characters; it was benchmarked with ASCII only, where latin1 and UTF-8 agree.
import type { Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

const FAST_PATH_ABOVE = 64 * 1024;

/** Flaw: the client sends large text frames as latin1. */
export class Latin1FastPathSocket extends MemorySocket {
  protected override doSend(frame: Frame): void {
    if (typeof frame === 'string' && frame.length > FAST_PATH_ABOVE) {
      frame = Buffer.from(frame, 'latin1').toString('latin1');
    }
    super.doSend(frame);
  }
}
