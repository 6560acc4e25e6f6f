import { MemorySocket } from '../../../adapters/memory/index.js';

/**
 * Flaw: the client's close hook never reports, so `disconnect()` only resolves when the base
 * class gives up after its close timeout, and the server sees 1006 instead of the code sent.
 */
export class UnacknowledgedDisconnectSocket extends MemorySocket {
  protected override doClose(_code: number, _reason: string): void {
    // Nothing: the close frame is never sent and never confirmed.
  }
}
