import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS } from '../../src/di/index.js';
import type { AbstractSocket } from '../../src/index.js';
import { SocketIoSocket, type SocketIoSocketOptions } from './socket-io-socket.js';

/**
 * Binds the client side of the Socket.IO transport: `TOKENS.ClientTransport` to a new
 * {@link SocketIoSocket} per resolution (transient), so every client gets its own connection.
 * Loads `socket.io-client`, never the `socket.io` server package.
 *
 * @example
 * ```ts
 * container.load(plugsocketCoreModule(), socketIoClientModule({ transports: ['websocket'] }));
 * const client = container.get<SocketClient>(TOKENS.SocketClient);
 * ```
 */
export function socketIoClientModule(options: SocketIoSocketOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }: ContainerModuleLoadOptions) => {
    bind<AbstractSocket>(TOKENS.ClientTransport)
      .toDynamicValue(() => new SocketIoSocket(options))
      .inTransientScope();
  });
}
