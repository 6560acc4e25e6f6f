// Breaks: a closing side keeps reading: frames are delivered while "open or closing"
// (src/ports/abstract-socket.ts `emitMessage`) and a server connection's until it is closed
// (abstract-socket-server.ts `emitMessage`), so frames the peer sent before it learned of the
// close still arrive.
import type { Frame, ServerConnection } from '../../../src/index.js';
import { MemorySocket, MemorySocketServer } from '../../../adapters/memory/index.js';

/** Flaw: the client stops reading as soon as its own close starts (Socket.IO's client did). */
export class DeafWhileClosingSocket extends MemorySocket {
  override _receive(frame: Frame): void {
    if (this.state === 'closing') return;
    const data = typeof frame === 'string' ? frame : frame.slice();
    queueMicrotask(() => {
      // The frame listeners are removed when the close starts.
      if (this.state !== 'closing') this.emitMessage(data);
    });
  }
}

/** Flaw: the server drops a client's frames once its own close of that connection started. */
export class DeafWhileClosingServer extends MemorySocketServer {
  override _message(connection: ServerConnection<MemorySocket>, frame: Frame): void {
    if (connection.state === 'closing') return;
    super._message(connection, frame);
  }
}
