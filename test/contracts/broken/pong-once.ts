// Breaks: every `ping(connection)` the client answers is reported as a `pong`
// (src/ports/server-connection.ts `ServerEvents.pong`).
// Flaw: the pong listener is registered with `native.once('pong', ...)` on the first ping, so only
// the first ping of each connection is ever answered.
import type { ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server reports only the first pong of each connection. */
export class PongOnceServer extends MemorySocketServer {
  readonly #answered = new WeakSet<ServerConnection<MemorySocket>>();

  override _pong(connection: ServerConnection<MemorySocket>): void {
    if (this.#answered.has(connection)) return;
    this.#answered.add(connection);
    super._pong(connection);
  }
}
