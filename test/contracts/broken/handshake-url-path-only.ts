// Breaks: `Handshake.url` is "the request path and query as the client sent it, e.g.
// `/chat?room=1`" (src/ports/types.ts).
// Flaw: the server reports `new URL(req.url).pathname`, dropping the query.
import type { HandshakeInit, ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server reports only the path as the handshake url. */
export class PathOnlyUrlServer extends MemorySocketServer {
  protected override acceptConnection(
    native: MemorySocket,
    handshake: HandshakeInit,
  ): ServerConnection<MemorySocket> {
    return super.acceptConnection(native, {
      ...handshake,
      url: (handshake.url ?? '').split('?')[0],
    });
  }
}
