// Breaks: one `send()` is one frame, arriving as the same string (src/ports/types.ts `Frame`).
// Flaw: NDJSON framing. `JSON.stringify` escapes `\n` and `\r` but leaves U+2028 and U+2029 raw,
// and the reader splits on every line terminator ECMAScript knows (as Python's `splitlines` does),
// so such a frame breaks into pieces that do not parse and are dropped with an error.
import { PlugSocketError, type Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client's NDJSON lane splits frames at U+2028/U+2029. */
export class NdjsonSocket extends MemorySocket {
  protected override doSend(frame: Frame): void {
    if (typeof frame !== 'string') return super.doSend(frame);
    for (const line of JSON.stringify(frame).split(/\r\n|[\n\r\u2028\u2029]/)) {
      let text: string;
      try {
        text = JSON.parse(line) as string;
      } catch {
        this.emitError(new PlugSocketError('INVALID_MESSAGE', 'a line that is not JSON'));
        continue;
      }
      super.doSend(text);
    }
  }
}
