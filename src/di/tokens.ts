/**
 * Injection tokens, all in one file (a token imported across an import cycle would hit the ESM
 * temporal dead zone). `Symbol.for` keeps them equal across duplicate copies of the package.
 */
export const TOKENS = {
  /** The domain server, `SocketServer`. Bound by `plugsocketCoreModule()`. */
  SocketServer: Symbol.for('plugsocket:SocketServer'),
  /** The domain client, `SocketClient`. Bound by `plugsocketCoreModule()`. */
  SocketClient: Symbol.for('plugsocket:SocketClient'),
  /** The server transport, an `AbstractSocketServer`. Bound by a transport module. */
  ServerTransport: Symbol.for('plugsocket:ServerTransport'),
  /** The client transport, an `AbstractSocket`. Bound by a transport module. */
  ClientTransport: Symbol.for('plugsocket:ClientTransport'),
  /** `SocketServerOptions` (optional). Bound by the application. */
  ServerOptions: Symbol.for('plugsocket:ServerOptions'),
  /** `SocketClientOptions` (required for the client). Bound by the application. */
  ClientOptions: Symbol.for('plugsocket:ClientOptions'),
  /** An `AuthorizationStrategy` (optional; allow-all when unbound). */
  AuthorizationStrategy: Symbol.for('plugsocket:AuthorizationStrategy'),
  /** A `Codec` (optional; when unbound, chosen by the transport's `supports.structured`). */
  Codec: Symbol.for('plugsocket:Codec'),
  /** A `SessionStore` for session resume (optional; a `MemorySessionStore` per server when unbound). */
  SessionStore: Symbol.for('plugsocket:SessionStore'),
  /** A `Backplane` joining the server to a cluster (optional; a cluster of one when unbound). */
  Backplane: Symbol.for('plugsocket:Backplane'),
} as const;
