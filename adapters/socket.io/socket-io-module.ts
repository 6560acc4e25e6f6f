import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS, type AbstractSocket, type AbstractSocketServer } from '../../src/index.js';
import { SocketIoServer } from './socket-io-server.js';
import type { SocketIoServerOptions } from './socket-io-server-options.js';
import { SocketIoSocket, type SocketIoSocketOptions } from './socket-io-socket.js';

/**
 * Binds the server side of the Socket.IO transport: `TOKENS.ServerTransport` to one
 * {@link SocketIoServer} (singleton), built on first resolution.
 *
 * @example
 * ```ts
 * container.load(plugsocketCoreModule(), socketIoServerModule({ port: 3000, namespace: '/chat' }));
 * const server = container.get<SocketServer>(TOKENS.SocketServer);
 * ```
 */
export function socketIoServerModule(options: SocketIoServerOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }: ContainerModuleLoadOptions) => {
    bind<AbstractSocketServer>(TOKENS.ServerTransport)
      .toDynamicValue(() => new SocketIoServer(options))
      .inSingletonScope();
  });
}

/**
 * Binds the client side of the Socket.IO transport: `TOKENS.ClientTransport` to a new
 * {@link SocketIoSocket} per resolution (transient), so every client gets its own connection.
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
