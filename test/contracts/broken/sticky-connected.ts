import type { HandshakeInit, ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: `isClientConnected` answers "did it ever connect", so it stays true after close. */
export class StickyConnectedServer extends MemorySocketServer {
  readonly #seen = new WeakSet<ServerConnection<MemorySocket>>();

  protected override acceptConnection(
    native: MemorySocket,
    handshake: HandshakeInit,
  ): ServerConnection<MemorySocket> {
    const connection = super.acceptConnection(native, handshake);
    this.#seen.add(connection);
    return connection;
  }

  override isClientConnected(connection: ServerConnection<MemorySocket>): boolean {
    return this.#seen.has(connection);
  }
}
