// The `plugsocket/socket.io/client/di` entry point: the inversify module of the Socket.IO client
// half. Like `plugsocket/socket.io/client`, it loads `socket.io-client` and never `socket.io`.
export { socketIoClientModule } from './socket-io-client-module.js';
