// The `plugsocket/socket.io/di` entry point: the inversify module of the Socket.IO server half.
// Like `plugsocket/socket.io`, it loads `socket.io` and never `socket.io-client`; the client's
// module is in `plugsocket/socket.io/client/di`.
export { socketIoServerModule } from './socket-io-module.js';
