import type { ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/**
 * Flaw: the server only reports clean closes; a client that vanishes (1006) stays in
 * `connections` as if it were still there, as an adapter listening only for close frames would.
 */
export class UnnoticedVanishServer extends MemorySocketServer {
  override _disconnect(
    connection: ServerConnection<MemorySocket>,
    code: number,
    reason: string,
  ): void {
    if (code === 1006) return;
    super._disconnect(connection, code, reason);
  }
}
