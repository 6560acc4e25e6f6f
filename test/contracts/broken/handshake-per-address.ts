// Breaks: each `connection` event carries its own client's handshake
// (src/ports/server-connection.ts `ServerEvents.connection`).
// Flaw: handshake metadata is cached per remote address, so a second client from the same host
// gets the first one's headers, query and auth.
import type { HandshakeInit, ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server reuses the first handshake seen from each address. */
export class HandshakePerAddressServer extends MemorySocketServer {
  readonly #byAddress = new Map<string, HandshakeInit>();

  protected override acceptConnection(
    native: MemorySocket,
    handshake: HandshakeInit,
  ): ServerConnection<MemorySocket> {
    const address = handshake.remoteAddress ?? '';
    let cached = this.#byAddress.get(address);
    if (cached === undefined) {
      cached = handshake;
      this.#byAddress.set(address, cached);
    }
    return super.acceptConnection(native, { ...cached, remoteAddress: handshake.remoteAddress });
  }
}
