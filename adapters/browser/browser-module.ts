import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS } from '../../src/di/index.js';
import type { AbstractSocket } from '../../src/index.js';
import { BrowserSocket, type BrowserSocketOptions } from './browser-socket.js';

/**
 * Binds the browser transport: `TOKENS.ClientTransport` to a new {@link BrowserSocket} per
 * resolution (transient), so every client gets its own connection. The client half only; the
 * server a page talks to is any plugsocket WebSocket server (`wsServerModule`).
 *
 * @example
 * ```ts
 * container.load(plugsocketCoreModule(), browserClientModule());
 * const client = container.get<SocketClient>(TOKENS.SocketClient);
 * ```
 */
export function browserClientModule(options: BrowserSocketOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }: ContainerModuleLoadOptions) => {
    bind<AbstractSocket>(TOKENS.ClientTransport)
      .toDynamicValue(() => new BrowserSocket(options))
      .inTransientScope();
  });
}
