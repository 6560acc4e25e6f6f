// Breaks: a text frame arrives as the same string (src/ports/types.ts `Frame`).
// Flaw: the text lane is line-oriented and normalises line endings, turning `\r\n` into `\n`.
import type { Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client rewrites CRLF as LF in every text frame. */
export class CrlfNormalizingSocket extends MemorySocket {
  protected override doSend(frame: Frame): void {
    super.doSend(typeof frame === 'string' ? frame.replace(/\r\n/g, '\n') : frame);
  }
}
