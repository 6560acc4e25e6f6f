import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS } from '../../src/di/index.js';
import type { Backplane, SessionStore } from '../../src/index.js';
import { RedisBackplane } from './redis-backplane.js';
import type { RedisBackplaneOptions } from './redis-backplane-options.js';

/**
 * Binds the Redis backplane: `TOKENS.Backplane` (and the class {@link RedisBackplane}, for typed
 * access) to one instance (singleton, built on first resolution, closed on
 * `container.unbindAllAsync()` or an async unbind), and `TOKENS.SessionStore` to its `sessions`;
 * the core module passes both to the server, so the nodes share the directory and resume
 * sessions any node (or the previous process) saved.
 *
 * @example
 * ```ts
 * container.load(plugsocketCoreModule(), wsServerModule({ port: 8080 }),
 *   redisBackplaneModule({ redis: 'redis://redis:6379', prefix: 'chat' }));
 * const server = container.get<SocketServer>(TOKENS.SocketServer); // joins the cluster on listen()
 * ```
 */
export function redisBackplaneModule(options: RedisBackplaneOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }: ContainerModuleLoadOptions) => {
    bind(RedisBackplane)
      .toDynamicValue(() => new RedisBackplane(options))
      .inSingletonScope()
      .onDeactivation((backplane) => backplane.close());
    bind<Backplane>(TOKENS.Backplane)
      .toResolvedValue((backplane: RedisBackplane) => backplane, [RedisBackplane])
      .inSingletonScope();
    bind<SessionStore>(TOKENS.SessionStore)
      .toResolvedValue((backplane: RedisBackplane) => backplane.sessions, [RedisBackplane])
      .inSingletonScope();
  });
}
