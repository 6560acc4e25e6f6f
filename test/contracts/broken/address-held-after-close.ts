// Breaks: `close()` "releases the transport" (src/ports/abstract-socket-server.ts `close`), so a new
// server can listen at the same address as soon as it resolved.
// Flaw: `doClose` resolves without releasing the address (the memory name stays registered; over
// TCP, `server.close()` not awaited), so listening again at once fails with "already in use".
import { MemorySocketServer } from '../../../adapters/memory/index.js';

/** Flaw: the server forgets to give its name back when it closes. */
export class HeldAddressServer extends MemorySocketServer {
  protected override doClose(): Promise<void> {
    return Promise.resolve();
  }
}
