// Breaks: `sendMany(connections, frame)` reaches the listed connections; "connections ... not
// listed" get nothing (src/ports/abstract-socket-server.ts `sendMany`).
// Flaw: a "rooms" fast path taken when few of the server's connections are listed broadcasts to the
// whole server and forgets the list.
import type { Frame, ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: a minority `sendMany` reaches every open connection. */
export class MinorityPathServer extends MemorySocketServer {
  protected override doSendMany(
    connections: readonly ServerConnection<MemorySocket>[],
    frame: Frame,
  ): number {
    if (connections.length * 2 < this.connections.size) {
      for (const connection of this.connections)
        if (connection.isOpen) this.doSend(connection.native, frame);
      return connections.length;
    }
    return super.doSendMany(connections, frame);
  }
}
