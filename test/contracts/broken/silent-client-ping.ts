import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client socket's ping() says it pinged, but nothing goes, so no pong ever comes. */
export class SilentClientPingSocket extends MemorySocket {
  protected override doPing(): void {
    // Nothing is sent.
  }
}
