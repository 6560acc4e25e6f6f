// Breaks: binary frames "arrive intact as binary" (src/ports/capabilities.ts `binary`): a
// `Uint8Array` arrives as a `Uint8Array`, whatever bytes it holds.
// Flaw: the wire carries no kind bit; the receiver guesses, and bytes that decode as UTF-8 JSON
// (`null`, `42`, `{"a":1}`) are taken for a text frame.
import type { Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: binary that looks like JSON text arrives as a string. */
export class JsonSniffingSocket extends MemorySocket {
  readonly #strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  protected override doSend(frame: Frame): void {
    if (typeof frame !== 'string') {
      try {
        const text = this.#strict.decode(frame);
        JSON.parse(text);
        return super.doSend(text);
      } catch {
        // Not UTF-8 JSON: binary after all.
      }
    }
    super.doSend(frame);
  }
}
