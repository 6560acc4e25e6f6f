import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server declares ping support, but its ping never reaches the client, so no pong comes. */
export class SilentPingServer extends MemorySocketServer {
  protected override doPing(_peer: MemorySocket): void {
    // Nothing is sent.
  }
}
