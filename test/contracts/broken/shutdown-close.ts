// Breaks: server `close(code, reason)` "closes every connection with { code, reason }"
// (src/ports/abstract-socket-server.ts `close`), 1001 'server shutting down' by default.
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: during shutdown every connection is closed with 1001 and no reason, whatever was asked. */
export class ShutdownCodeServer extends MemorySocketServer {
  protected override doCloseConnection(peer: MemorySocket, code: number, reason: string): void {
    if (this.state === 'closing') super.doCloseConnection(peer, 1001, '');
    else super.doCloseConnection(peer, code, reason);
  }
}

/** Flaw: during shutdown connections are destroyed instead of closed, so clients see 1006. */
export class ShutdownTerminatesServer extends MemorySocketServer {
  protected override doCloseConnection(peer: MemorySocket, code: number, reason: string): void {
    if (this.state === 'closing') this.doTerminateConnection(peer);
    else super.doCloseConnection(peer, code, reason);
  }
}
