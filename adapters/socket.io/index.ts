// The `plugsocket/socket.io` entry point: the server half of the Socket.IO transport. It loads
// `socket.io` (and `socket.io-parser`) and never `socket.io-client`, so a server-only app does not
// need the client package; the client half is `plugsocket/socket.io/client`. The inversify
// modules are in `plugsocket/socket.io/di` and `plugsocket/socket.io/client/di`, so neither entry
// loads `inversify`.
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
export { SOCKET_IO_CAPABILITIES, socketIoClientCapabilities } from './socket-io-capabilities.js';
export { SOCKET_IO_DISCONNECT_CODES } from './socket-io-close-reasons.js';
export {
  MAX_SPREAD_ELEMENTS,
  SOCKET_IO_ANSWERS_CLOSE_QUERY,
  SOCKET_IO_EVENTS,
} from './socket-io-wire.js';
export {
  boundedSocketIoParser,
  BoundedDecoder,
  MAX_SOCKET_IO_ARGUMENTS,
} from './socket-io-parser.js';
