// The `plugsocket/socket.io/client` entry point: only the client half of the Socket.IO transport,
// which imports `socket.io-client` alone, so a browser bundle never sees the server package.
export {
  SocketIoSocket,
  type SocketIoSocketOptions,
  type SocketIoManagedClientOption,
} from './socket-io-socket.js';
export { SOCKET_IO_CAPABILITIES, socketIoClientCapabilities } from './socket-io-capabilities.js';
export { SOCKET_IO_DISCONNECT_CODES } from './socket-io-close-reasons.js';
export { MAX_SPREAD_ELEMENTS, SOCKET_IO_EVENTS } from './socket-io-wire.js';
export { boundedSocketIoParser, MAX_SOCKET_IO_ARGUMENTS } from './socket-io-parser.js';
