// Breaks: a connection the server closes inside its `connection` handler still receives that close
// (the memory adapter's `_accept` and the base `acceptConnection`): `connect()` rejects with it as
// cause, or the client opens and then closes with it.
// Flaw: a close frame that arrives while the client is still `connecting` is ignored, so the
// client opens as if nothing happened and the server waits its close timeout for an echo.
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client drops a close that arrives during the handshake. */
export class LostEarlyCloseSocket extends MemorySocket {
  override _remoteClose(code: number, reason: string): void {
    if (this.state === 'connecting') return;
    super._remoteClose(code, reason);
  }
}
