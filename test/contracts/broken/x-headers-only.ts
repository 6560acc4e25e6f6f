// Breaks: `ConnectOptions.headers` reach the server (src/ports/capabilities.ts
// `handshakeHeaders`), whatever their names.
// Flaw: the server passes only `x-*` headers through, as if the others were the transport's own;
// `authorization` and `accept-language` are dropped.
import type { HandshakeInit, ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server keeps only custom `x-` headers. */
export class XHeadersOnlyServer extends MemorySocketServer {
  protected override acceptConnection(
    native: MemorySocket,
    handshake: HandshakeInit,
  ): ServerConnection<MemorySocket> {
    const headers = Object.fromEntries(
      Object.entries(handshake.headers ?? {}).filter(([name]) =>
        name.toLowerCase().startsWith('x-'),
      ),
    );
    return super.acceptConnection(native, { ...handshake, headers });
  }
}
