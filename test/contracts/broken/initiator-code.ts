// Breaks: the side that starts a close reports the code and reason it sent (src/ports/abstract-socket.ts
// `doClose` and abstract-socket-server.ts `doCloseConnection`: emit the close "with the code and
// reason sent"; writing-an-adapter §8).
// Flaw: the side that started the close reports what the peer's echo carried, and the echo carries
// no code, so it reports 1005 ("no status received") for its own close.
import type { CloseInfo, ConnectOptions, ServerConnection } from '../../../src/index.js';
import { MemorySocket, MemorySocketServer } from '../../../adapters/memory/index.js';

const NO_STATUS: CloseInfo = { code: 1005, reason: '' };

/** Flaw: the client reports 1005 for a close it started. */
export class InitiatorCodeSocket extends MemorySocket {
  #closing = false;

  protected override doConnect(options: ConnectOptions): void {
    this.#closing = false;
    super.doConnect(options);
  }

  protected override doClose(code: number, reason: string): void {
    this.#closing = true;
    super.doClose(code, reason);
  }

  protected override emitClose(info: CloseInfo): void {
    super.emitClose(this.#closing && info.code !== 1006 ? NO_STATUS : info);
  }
}

/** Flaw: the server reports 1005 for a close it started. */
export class InitiatorCodeServer extends MemorySocketServer {
  readonly #closing = new WeakSet<MemorySocket>();

  protected override doCloseConnection(peer: MemorySocket, code: number, reason: string): void {
    this.#closing.add(peer);
    super.doCloseConnection(peer, code, reason);
  }

  override _disconnect(
    connection: ServerConnection<MemorySocket>,
    code: number,
    reason: string,
  ): void {
    if (this.#closing.has(connection.native) && code !== 1006) {
      super._disconnect(connection, NO_STATUS.code, NO_STATUS.reason);
    } else {
      super._disconnect(connection, code, reason);
    }
  }
}
