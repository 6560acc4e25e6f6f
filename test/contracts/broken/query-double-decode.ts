// Breaks: `ConnectOptions.query` "reaches the server as `Handshake.query`"
// (src/ports/capabilities.ts `handshakeQuery`), each value exactly as sent.
// Flaw: the server runs `decodeURIComponent` over values that URLSearchParams already decoded,
// so `100%25` arrives as `100%` and `%41` as `A`.
import type { HandshakeInit, ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** What URLSearchParams already decoded, decoded again (left as it is when that throws). */
function decodeTwice(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Flaw: the server decodes query values a second time. */
export class DoubleDecodingServer extends MemorySocketServer {
  protected override acceptConnection(
    native: MemorySocket,
    handshake: HandshakeInit,
  ): ServerConnection<MemorySocket> {
    const query = Object.fromEntries(
      Object.entries(handshake.query ?? {}).map(([key, value]) => [
        key,
        decodeTwice(String(value)),
      ]),
    );
    return super.acceptConnection(native, { ...handshake, query });
  }
}
