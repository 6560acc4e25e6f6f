// Breaks: "the same instance may connect again after it has closed" (src/ports/abstract-socket.ts),
// at once; memory delivers open and close "always in order" (docs/adapters.md).
// Flaw: `terminate()` destroys the native socket, and that socket's late `close` event is still
// forwarded to the instance without checking it belongs to the current connection, so a
// `connect()` in the same tick fails with "connection closed during handshake (1006)". (This was
// the memory adapter's own behaviour before its fix.)
import type { CloseInfo } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

const ABNORMAL: CloseInfo = { code: 1006, reason: '' };

/** Flaw: the client forwards the destroyed socket's late close event to whatever comes next. */
export class StaleCloseSocket extends MemorySocket {
  protected override doTerminate(): void {
    super.doTerminate();
    queueMicrotask(() => this.emitClose(ABNORMAL));
  }
}
