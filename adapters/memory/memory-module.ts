import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS } from '../../src/di/index.js';
import type { AbstractSocket, AbstractSocketServer } from '../../src/index.js';
import { MemorySocket } from './memory-socket.js';
import { MemorySocketServer, type MemorySocketServerOptions } from './memory-socket-server.js';

/** Options of {@link memoryModule}. */
export type MemoryModuleOptions = MemorySocketServerOptions;

/**
 * Binds the in-memory transport: `TOKENS.ServerTransport` to one `MemorySocketServer`
 * (singleton) and `TOKENS.ClientTransport` to a new `MemorySocket` per resolution.
 *
 * @example
 * ```ts
 * container.load(plugsocketCoreModule(), memoryModule({ name: 'chat' }));
 * const server = container.get<SocketServer>(TOKENS.SocketServer);
 * ```
 */
export function memoryModule(options: MemoryModuleOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }: ContainerModuleLoadOptions) => {
    bind<AbstractSocketServer>(TOKENS.ServerTransport)
      .toDynamicValue(() => new MemorySocketServer(options))
      .inSingletonScope();
    bind<AbstractSocket>(TOKENS.ClientTransport)
      .toDynamicValue(() => new MemorySocket())
      .inTransientScope();
  });
}
