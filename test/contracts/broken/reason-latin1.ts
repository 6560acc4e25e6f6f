// Breaks: a close reason is UTF-8 text of at most 123 bytes and arrives as sent
// (src/ports/types.ts `CloseInfo.reason`).
// Flaw: the close frame's reason bytes are decoded as latin1 (`reason.toString('binary')`), so
// every non-ASCII character arrives as mojibake.
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server sees the client's close reasons decoded as latin1. */
export class Latin1ReasonSocket extends MemorySocket {
  protected override doClose(code: number, reason: string): void {
    super.doClose(code, Buffer.from(reason, 'utf8').toString('latin1'));
  }
}
