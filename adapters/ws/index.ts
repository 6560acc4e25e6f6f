// The `plugsocket/ws` entry point: the WebSocket transport over the `ws` package, for Node. Its
// inversify modules are in `plugsocket/ws/di`, so this entry never loads `inversify`.
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
export {
  WsSocket,
  DEFAULT_WS_CLIENT_MAX_PAYLOAD,
  type WsSocketOptions,
  type WsManagedClientOption,
} from './ws-socket.js';
export { WS_AUTH_HEADER, encodeAuthHeader } from './auth-header.js';
