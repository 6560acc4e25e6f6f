import { MemorySocketServer } from '../../../adapters/memory/index.js';

/** Flaw: the server's release hook never completes, so `close()` never resolves. */
export class HangingCloseServer extends MemorySocketServer {
  protected override doClose(): Promise<void> {
    return new Promise<void>(() => undefined);
  }
}
