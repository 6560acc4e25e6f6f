// The composition root: the only place that knows which transport runs underneath.
import { Container, type ContainerModule } from 'inversify';
import { plugsocketCoreModule } from 'plugsocket/di';
import { CHAT_TOKENS, ChatService } from './chat-service.js';

/** Builds the app's container on the given transport modules (memory, ws, Socket.IO, …). */
export function buildContainer(transport: readonly ContainerModule[]): Container {
  const container = new Container();
  container.bind(CHAT_TOKENS.Motd).toConstantValue('be kind');
  container.bind(ChatService).toSelf().inSingletonScope();
  container.load(plugsocketCoreModule(), ...transport);
  return container;
}
