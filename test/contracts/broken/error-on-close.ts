// Breaks: `error` is for "something went wrong that did not end the connection"
// (src/ports/abstract-socket.ts `SocketEvents.error`); a failure that ends it is reported with the close
// instead (abstract-socket.ts `emitError`). An orderly or abrupt close is not an error.
import type { ServerConnection } from '../../../src/index.js';
import { MemorySocket, MemorySocketServer } from '../../../adapters/memory/index.js';

/** Flaw: the client reports a normal close by the server as an error too ("socket hang up"). */
export class ErrorOnRemoteCloseSocket extends MemorySocket {
  override _remoteClose(code: number, reason: string): void {
    if (this.state === 'open') this.emitError(new Error('socket hang up'));
    super._remoteClose(code, reason);
  }
}

/** Flaw: the server reports a client that vanished as an error (ECONNRESET) besides the 1006. */
export class ErrorOnVanishServer extends MemorySocketServer {
  override _disconnect(
    connection: ServerConnection<MemorySocket>,
    code: number,
    reason: string,
  ): void {
    if (code === 1006) this.emitError(connection, new Error('read ECONNRESET'));
    super._disconnect(connection, code, reason);
  }
}
