import type { CloseInfo } from '../../../src/index.js';
import { TcpSocket } from '../../../examples/tcp-adapter/index.js';

/**
 * Flaw: a connection lost to a socket error (a TCP reset: `ECONNRESET`, `EPIPE`) is reported
 * twice, once from the socket's `error` event and once from the `close` that follows, as an
 * adapter that emits `close` itself from both handlers (bypassing the port's de-duplication)
 * would. A clean close, a FIN or `terminate()` report once; only a reset from the network shows it.
 */
export class DoubleCloseOnResetSocket extends TcpSocket {
  protected override emitClose(info: CloseInfo): void {
    if (this.state === 'open' && info.code === 1006 && /ECONNRESET|EPIPE/.test(info.reason)) {
      this.emit('close', { code: info.code, reason: info.reason });
    }
    super.emitClose(info);
  }
}
