// Breaks: `pong` reports that "a client answered `ping(connection)`" (src/ports/server-connection.ts
// `ServerEvents.pong`), nothing else.
// Flaw: the liveness code treats any frame from the client as proof of life and reports it as a
// pong, ping or no ping.
import type { Frame, ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: every client frame is also reported as a pong. */
export class ActivityPongServer extends MemorySocketServer {
  override _message(connection: ServerConnection<MemorySocket>, frame: Frame): void {
    super._message(connection, frame);
    this.emitPong(connection);
  }
}
