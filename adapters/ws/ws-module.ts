import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS } from '../../src/di/index.js';
import type { AbstractSocket, AbstractSocketServer } from '../../src/index.js';
import { WsSocket, type WsSocketOptions } from './ws-socket.js';
import { WsSocketServer, type WsSocketServerOptions } from './ws-socket-server.js';

/**
 * Binds the server side of the ws transport: `TOKENS.ServerTransport` to one
 * {@link WsSocketServer} (singleton), built on first resolution.
 *
 * @example
 * ```ts
 * container.load(plugsocketCoreModule(), wsServerModule({ port: 8080, path: '/rt' }));
 * const server = container.get<SocketServer>(TOKENS.SocketServer);
 * ```
 */
export function wsServerModule(options: WsSocketServerOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }: ContainerModuleLoadOptions) => {
    bind<AbstractSocketServer>(TOKENS.ServerTransport)
      .toDynamicValue(() => new WsSocketServer(options))
      .inSingletonScope();
  });
}

/**
 * Binds the client side of the ws transport: `TOKENS.ClientTransport` to a new {@link WsSocket}
 * per resolution (transient), so every client gets its own connection.
 *
 * @example
 * ```ts
 * container.load(plugsocketCoreModule(), wsClientModule());
 * const client = container.get<SocketClient>(TOKENS.SocketClient);
 * ```
 */
export function wsClientModule(options: WsSocketOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }: ContainerModuleLoadOptions) => {
    bind<AbstractSocket>(TOKENS.ClientTransport)
      .toDynamicValue(() => new WsSocket(options))
      .inTransientScope();
  });
}
