import type { ConnectOptions, SocketState } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/**
 * Flaw: the client reports open at once and reaches the server only a moment later, as an adapter
 * that resolves on the TCP connect instead of the end of the handshake would.
 */
export class EarlyOpeningSocket extends MemorySocket {
  // While set, the memory adapter's own check (`state === 'connecting'`) still lets it reach the
  // server although the base class already reports open.
  #pretendConnecting = false;

  override get state(): SocketState {
    return this.#pretendConnecting ? 'connecting' : super.state;
  }

  protected override doConnect(options: ConnectOptions): void {
    this.#pretendConnecting = true;
    this.emitOpen();
    setTimeout(() => {
      super.doConnect(options);
      // Queued after the adapter's delivery job, so it runs once the server has accepted.
      void Promise.resolve().then(() => (this.#pretendConnecting = false));
    }, 5);
  }
}
