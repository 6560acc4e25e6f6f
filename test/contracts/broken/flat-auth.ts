import type { HandshakeInit, ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/**
 * Flaw: the handshake auth loses every nested value and keeps only top-level primitives, as an
 * adapter that smuggles auth through query parameters would.
 */
export class FlatAuthServer extends MemorySocketServer {
  protected override acceptConnection(
    native: MemorySocket,
    handshake: HandshakeInit,
  ): ServerConnection<MemorySocket> {
    const auth = Object.fromEntries(
      Object.entries(handshake.auth ?? {}).filter(
        ([, value]) => typeof value !== 'object' || value === null,
      ),
    );
    return super.acceptConnection(native, { ...handshake, auth });
  }
}
