import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS } from '../../src/di/index.js';
import type { AbstractSocketServer } from '../../src/index.js';
import { SocketIoServer } from './socket-io-server.js';
import type { SocketIoServerOptions } from './socket-io-server-options.js';

/**
 * Binds the server side of the Socket.IO transport: `TOKENS.ServerTransport` to one
 * {@link SocketIoServer} (singleton), built on first resolution. Loads `socket.io`, never
 * `socket.io-client` (the client module is `socketIoClientModule()` from
 * `plugsocket/socket.io/client/di`).
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
