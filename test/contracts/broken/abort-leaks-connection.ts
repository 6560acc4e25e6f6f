// Breaks: `disconnect()` and `terminate()` abort a connect in progress
// (src/ports/abstract-socket.ts): nothing of it may stay open at the server.
// Flaw: aborting only stops waiting; the handshake already on its way completes at the server,
// leaving a connection there that no client owns and that never closes.
import type { ConnectOptions, SocketState } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client lets an aborted handshake reach the server. */
export class AbortLeakSocket extends MemorySocket {
  // While set, the memory adapter's own check (`state === 'connecting'`) lets the handshake through
  // although the base class already aborted the connect: the request was already sent.
  #inFlight = false;

  override get state(): SocketState {
    return this.#inFlight ? 'connecting' : super.state;
  }

  protected override doConnect(options: ConnectOptions): void {
    this.#inFlight = true;
    super.doConnect(options);
    queueMicrotask(() => queueMicrotask(() => (this.#inFlight = false)));
  }
}
