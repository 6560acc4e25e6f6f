// The `plugsocket/socket.io` entry point: the Socket.IO transport. The client half imports only
// `socket.io-client`, so a bundler that drops unused exports keeps the server package out of a
// browser build.
export { SocketIoServer } from './socket-io-server.js';
export {
  DEFAULT_SOCKET_IO_MAX_HTTP_BUFFER_SIZE,
  type SocketIoServerOptions,
  type SocketIoServerBaseOptions,
  type SocketIoOwnedIoOptions,
  type SocketIoOwnServerOptions,
  type SocketIoAttachedServerOptions,
  type SocketIoSharedServerOptions,
} from './socket-io-server-options.js';
export {
  SocketIoSocket,
  type SocketIoSocketOptions,
  type SocketIoManagedClientOption,
} from './socket-io-socket.js';
export { SOCKET_IO_CAPABILITIES, socketIoClientCapabilities } from './socket-io-capabilities.js';
export { SOCKET_IO_DISCONNECT_CODES } from './socket-io-close-reasons.js';
export { MAX_SPREAD_ELEMENTS, SOCKET_IO_EVENTS } from './socket-io-wire.js';
export { boundedSocketIoParser, MAX_SOCKET_IO_ARGUMENTS } from './socket-io-parser.js';
export { socketIoServerModule, socketIoClientModule } from './socket-io-module.js';
