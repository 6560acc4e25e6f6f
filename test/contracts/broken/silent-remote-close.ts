import type { CloseInfo } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client never reports `close` when the server closes it; it only notices its own. */
export class SilentRemoteCloseSocket extends MemorySocket {
  #closedByServer = false;

  override _remoteClose(code: number, reason: string): void {
    this.#closedByServer = true;
    super._remoteClose(code, reason);
  }

  protected override doClose(code: number, reason: string): void {
    this.#closedByServer = false;
    super.doClose(code, reason);
  }

  protected override emitClose(info: CloseInfo): void {
    if (this.#closedByServer) return;
    super.emitClose(info);
  }
}
