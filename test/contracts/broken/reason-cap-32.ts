// Breaks: a close reason of up to 123 bytes of UTF-8 arrives as sent (src/ports/types.ts
// `CloseInfo.reason`).
// Flaw: the close frame has a fixed 32-character reason field; longer reasons are cut.
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

const REASON_FIELD = 32;

/** Flaw: the server cuts its close reasons to 32 characters. */
export class ReasonCapServer extends MemorySocketServer {
  protected override doCloseConnection(peer: MemorySocket, code: number, reason: string): void {
    super.doCloseConnection(peer, code, reason.slice(0, REASON_FIELD));
  }
}
