// The `plugsocket/browser` entry point: the client transport over the platform's standard
// WebSocket (browsers, Deno, Bun, Node ≥ 22). No Node built-ins and no transport library, so a
// page bundles only this file and the client it uses.
export {
  BrowserSocket,
  BROWSER_CAPABILITIES,
  type BrowserSocketOptions,
  type WebSocketConstructor,
  type WebSocketEventName,
  type WebSocketEventLike,
  type WebSocketLike,
} from './browser-socket.js';
