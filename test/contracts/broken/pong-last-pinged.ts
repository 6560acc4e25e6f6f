// Breaks: `pong` reports that "a client answered `ping(connection)`" (src/ports/server-connection.ts
// `ServerEvents.pong`), for the connection that answered.
// Flaw: the server keeps one "awaiting pong" slot instead of one per connection, so every pong is
// credited to the connection pinged last.
import type { ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server credits every pong to the last connection it pinged. */
export class LastPingedServer extends MemorySocketServer {
  #awaitingPong: MemorySocket | undefined;

  protected override doPing(peer: MemorySocket): void {
    this.#awaitingPong = peer;
    super.doPing(peer);
  }

  override _pong(connection: ServerConnection<MemorySocket>): void {
    const awaiting = [...this.connections].find((c) => c.native === this.#awaitingPong);
    super._pong(awaiting ?? connection);
  }
}
