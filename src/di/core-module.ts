import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import type { AbstractSocket } from '../ports/abstract-socket.js';
import type { AbstractSocketServer } from '../ports/abstract-socket-server.js';
import type { AuthorizationStrategy } from '../ports/authorization-strategy.js';
import type { Codec } from '../ports/codec.js';
import type { SessionStore } from '../ports/session-store.js';
import type { Backplane } from '../ports/backplane.js';
import { SocketClient, type SocketClientOptions } from '../client/socket-client.js';
import { SocketServer } from '../server/socket-server.js';
import type { SocketServerOptions } from '../server/options.js';
import { TOKENS } from './tokens.js';

/**
 * Binds the domain: `TOKENS.SocketServer` and `TOKENS.SocketClient` (both singletons), built by
 * factories from whatever transport module is loaded beside it. The domain classes carry no
 * container decorators, so this works the same under tsx, tsc and any bundler.
 *
 * Reads `TOKENS.ServerTransport` / `TOKENS.ClientTransport` (from a transport module),
 * `TOKENS.ServerOptions` (optional) / `TOKENS.ClientOptions` (required for the client), and the
 * optional `TOKENS.AuthorizationStrategy`, `TOKENS.Codec` and (server only) `TOKENS.SessionStore`
 * and `TOKENS.Backplane`,
 * which override the same fields of the options. On `container.unbindAllAsync()` (or an async unbind), the server is shut down and the client
 * disconnected.
 *
 * @example
 * ```ts
 * const container = new Container();
 * container.bind(TOKENS.ServerOptions).toConstantValue({ maxPayload: 65536 });
 * container.load(plugsocketCoreModule(), wsServerModule({ port: 8080 }));
 * const server = container.get<SocketServer>(TOKENS.SocketServer);
 * ```
 */
export function plugsocketCoreModule(): ContainerModule {
  return new ContainerModule(({ bind }: ContainerModuleLoadOptions) => {
    bind<SocketServer>(TOKENS.SocketServer)
      .toResolvedValue(
        (
          adapter: AbstractSocketServer,
          options: SocketServerOptions | undefined,
          authorization: AuthorizationStrategy | undefined,
          codec: Codec | undefined,
          sessionStore: SessionStore | undefined,
          backplane: Backplane | undefined,
        ) =>
          new SocketServer(adapter, {
            ...options,
            ...(authorization && { authorization }),
            ...(codec && { codec }),
            ...(sessionStore && { sessionStore }),
            ...(backplane && { backplane }),
          }),
        [
          TOKENS.ServerTransport,
          { serviceIdentifier: TOKENS.ServerOptions, optional: true },
          { serviceIdentifier: TOKENS.AuthorizationStrategy, optional: true },
          { serviceIdentifier: TOKENS.Codec, optional: true },
          { serviceIdentifier: TOKENS.SessionStore, optional: true },
          { serviceIdentifier: TOKENS.Backplane, optional: true },
        ],
      )
      .inSingletonScope()
      .onDeactivation((server) => server.shutdown());

    bind<SocketClient>(TOKENS.SocketClient)
      .toResolvedValue(
        (
          adapter: AbstractSocket,
          options: SocketClientOptions,
          authorization: AuthorizationStrategy | undefined,
          codec: Codec | undefined,
        ) =>
          new SocketClient(adapter, {
            ...options,
            ...(authorization && { authorization }),
            ...(codec && { codec }),
          }),
        [
          TOKENS.ClientTransport,
          TOKENS.ClientOptions,
          { serviceIdentifier: TOKENS.AuthorizationStrategy, optional: true },
          { serviceIdentifier: TOKENS.Codec, optional: true },
        ],
      )
      .inSingletonScope()
      .onDeactivation((client) => client.disconnect());
  });
}
