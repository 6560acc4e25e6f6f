// Breaks: `Handshake.query` holds the query parameters the client sent
// (src/ports/capabilities.ts `handshakeQuery`), nothing the transport adds.
// Flaw: the transport has no auth channel, so the client smuggles `auth` as a JSON query parameter;
// the server decodes it into `Handshake.auth` but leaves it in the query.
import type { ConnectOptions, HandshakeInit, ServerConnection } from '../../../src/index.js';
import { MemorySocket, MemorySocketServer } from '../../../adapters/memory/index.js';

/** The client half: sends `auth` as the query parameter `auth`. */
export class AuthInQuerySocket extends MemorySocket {
  protected override doConnect(options: ConnectOptions): void {
    const { auth, ...rest } = options;
    super.doConnect(
      auth === undefined ? rest : { ...rest, query: { ...rest.query, auth: JSON.stringify(auth) } },
    );
  }
}

/** Flaw: the server reads `auth` from the query and forgets to remove it there. */
export class AuthInQueryServer extends MemorySocketServer {
  protected override acceptConnection(
    native: MemorySocket,
    handshake: HandshakeInit,
  ): ServerConnection<MemorySocket> {
    const raw = handshake.query?.auth;
    const auth = typeof raw === 'string' ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    return super.acceptConnection(native, { ...handshake, auth });
  }
}
