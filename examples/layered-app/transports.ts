// The transport modules, by name. Swapping the transport means picking another entry here;
// nothing in the application layer changes.
import type { ContainerModule } from 'inversify';
import { memoryModule } from 'plugsocket/memory/di';
import { socketIoServerModule } from 'plugsocket/socket.io/di';
import { socketIoClientModule } from 'plugsocket/socket.io/client/di';
import { wsClientModule, wsServerModule } from 'plugsocket/ws/di';

export const transports = {
  memory: (): ContainerModule[] => [memoryModule()],
  ws: (): ContainerModule[] => [wsServerModule({ port: 0, host: '127.0.0.1' }), wsClientModule()],
  'socket.io': (): ContainerModule[] => [
    socketIoServerModule({ port: 0, host: '127.0.0.1' }),
    socketIoClientModule(),
  ],
} as const;

export type TransportName = keyof typeof transports;
