// The `plugsocket/ws` entry point: the WebSocket transport over the `ws` package, for Node.
export {
  WsSocketServer,
  WS_CAPABILITIES,
  DEFAULT_WS_MAX_PAYLOAD,
  type WsSocketServerOptions,
  type WsSocketServerBaseOptions,
  type WsOwnServerOptions,
  type WsAttachedServerOptions,
  type WsManagedServerOption,
} from './ws-socket-server.js';
export { WsSocket, type WsSocketOptions, type WsManagedClientOption } from './ws-socket.js';
export { WS_AUTH_HEADER, encodeAuthHeader } from './auth-header.js';
export { wsServerModule, wsClientModule } from './ws-module.js';
