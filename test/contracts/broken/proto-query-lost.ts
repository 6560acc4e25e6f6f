// Breaks: Handshake records keep "a client's `__proto__` key as own data" (src/ports/types.ts
// `Handshake`; writing-an-adapter §9.7).
// Flaw: the server copies the query into a plain `{}` by assignment (`out[key] = value`), where a
// `__proto__` key sets the prototype instead of an own property and is lost.
import type { HandshakeInit, ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server loses a `__proto__` query key. */
export class ProtoQueryServer extends MemorySocketServer {
  protected override acceptConnection(
    native: MemorySocket,
    handshake: HandshakeInit,
  ): ServerConnection<MemorySocket> {
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(handshake.query ?? {})) query[key] = String(value);
    return super.acceptConnection(native, { ...handshake, query });
  }
}
