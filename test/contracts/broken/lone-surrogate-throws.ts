// Breaks: `send()` hands any text frame to the transport and returns true (src/ports/abstract-socket.ts
// `send`); a lone surrogate may arrive as U+FFFD but the frame must not be refused or lost.
// Flaw: text travels percent-encoded (a form-encoded lane), and `encodeURIComponent` throws a
// `URIError` for a lone surrogate, so `send()` returns false with an error event.
import type { Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client percent-encodes text, which throws for lone surrogates. */
export class PercentEncodingSocket extends MemorySocket {
  protected override doSend(frame: Frame): void {
    super.doSend(typeof frame === 'string' ? decodeURIComponent(encodeURIComponent(frame)) : frame);
  }
}
