import { TcpSocket } from '../../../examples/tcp-adapter/index.js';

/**
 * Flaw: `doTerminate()` releases the socket only if the connection had opened, as an author would
 * write who thinks of terminate as "drop an open connection". When a connect times out against a
 * server that accepts TCP but never answers, the base class terminates the attempt and rejects on
 * time, but the TCP connection is left dangling, one per failed attempt, until the process exits.
 */
export class DanglingConnectSocket extends TcpSocket {
  #opened = false;

  protected override emitOpen(): void {
    this.#opened = true;
    super.emitOpen();
  }

  protected override doTerminate(): void {
    if (this.#opened) super.doTerminate();
  }
}
