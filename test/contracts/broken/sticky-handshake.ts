// Breaks: a reconnect presents the new connect options; `applyAuthorization` is "called anew on
// every connect and reconnect ... so a token can be refreshed" (src/ports/authorization-strategy.ts).
// Flaw: the client builds its handshake (headers, query, auth) once, on the first connect, and
// reuses it for every later one, so a refreshed token never reaches the server.
import type { ConnectOptions } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client caches the handshake of its first connect. */
export class StickyHandshakeSocket extends MemorySocket {
  #handshake: Pick<ConnectOptions, 'headers' | 'query' | 'auth'> | undefined;

  protected override doConnect(options: ConnectOptions): void {
    this.#handshake ??= { headers: options.headers, query: options.query, auth: options.auth };
    super.doConnect({ ...options, ...this.#handshake });
  }
}
