// The public API of `plugsocket`: domain, ports, errors and protocol. Named exports only, so the
// surface is explicit; transport adapters and DI (`plugsocket/di`) live in their own entry points.

// errors
export {
  ErrorCodes,
  PlugSocketError,
  isErrorCode,
  type ErrorCode,
  type PlugSocketErrorOptions,
  type SerializedError,
} from './errors.js';
export { debugLogger, silentLogger, type Logger } from './logger.js';

// ports
export type {
  AnyFrame,
  CloseInfo,
  ConnectOptions,
  Frame,
  Handshake,
  HandshakeInit,
  ListenAddress,
  StructuredFrame,
  Unsubscribe,
} from './ports/types.js';
export { CAPABILITY_NAMES, type TransportCapabilities } from './ports/capabilities.js';
export { CloseCodes, assertValidClose } from './ports/close.js';
export { mergeConnectQuery } from './ports/connect-query.js';
export { Emitter, type EventMap, type Listener } from './ports/emitter.js';
export {
  AbstractSocket,
  DEFAULT_CONNECT_TIMEOUT,
  type AbstractSocketOptions,
  type SocketEvents,
  type SocketState,
} from './ports/abstract-socket.js';
export {
  AbstractSocketServer,
  ServerConnection,
  type AbstractSocketServerOptions,
  type ConnectionState,
  type PreparedFrame,
  type SendOptions,
  type ServerEvents,
  type ServerState,
} from './ports/abstract-socket-server.js';
export { normalizeHandshake, parseQuery } from './ports/handshake.js';
export {
  AllowAllAuthorization,
  type AuthorizationResult,
  type AuthorizationStrategy,
} from './ports/authorization-strategy.js';
export type { Codec } from './ports/codec.js';
export {
  MemorySessionStore,
  type SessionRecord,
  type SessionStore,
} from './ports/session-store.js';
export type {
  Backplane,
  BackplaneNode,
  BackplanePacket,
  BackplaneState,
  ClusterClient,
  PresenceChange,
  RemovedClient,
} from './ports/backplane.js';
export { MemoryBackplane, MemoryCluster } from './ports/memory-backplane.js';
export type { ResumeFailure } from './protocol/envelope.js';

// authentication strategies
export * from './auth/index.js';

// protocol
export { JsonCodec } from './protocol/json-codec.js';
export { CompactCodec, CompactKinds } from './protocol/compact-codec.js';
export {
  PROTOCOL_VERSION,
  MAX_NAME_LENGTH,
  MAX_NESTING_DEPTH,
  parseClientEnvelope,
  parseServerEnvelope,
  RefusedRequestError,
  type RequestKind,
  type AckEnvelope,
  type AuthEnvelope,
  type CancelEnvelope,
  type ClientEnvelope,
  type ErrorEnvelope,
  type GotEnvelope,
  type JoinEnvelope,
  type LeaveEnvelope,
  type MessageEnvelope,
  type NackEnvelope,
  type PingEnvelope,
  type PongEnvelope,
  type RequestEnvelope,
  type RequestTarget,
  type ServerEnvelope,
  type WelcomeEnvelope,
} from './protocol/envelope.js';

// domain
export type { AnyMessageMap, MessageMap, MessageOf, SocketMessage } from './message.js';
export type {
  AnyHandlerMap,
  AnySchema,
  ClientHandlers,
  ClientMessages,
  HandlerName,
  Part,
  PayloadOf,
  ResultOf,
  Schema,
  ServerHandlers,
  ServerMessages,
} from './schema.js';
export type { ConnectedClient } from './server/session.js';
export { BroadcastOperator } from './server/broadcast-operator.js';
export {
  SocketServer,
  type BroadcastOptions,
  type BroadcastReplies,
  type SendToClientOptions,
  type ServerHandler,
  type ShutdownOptions,
} from './server/socket-server.js';
export type { ClientMessageEvent, DisconnectionEvent } from './server/server-notifications.js';
export type { AccessHooks, SocketServerOptions } from './server/options.js';
export type {
  BackplaneMetrics,
  ServerMetricsSnapshot,
  ServerRefusals,
} from './server/metrics.js';
export {
  ServerCluster,
  type BackplaneStateEvent,
  type ClusterEventMap,
  type TopicPresenceEvent,
  type UserPresenceEvent,
} from './server/cluster-events.js';
export type { ClientConnectionInfo, ClientMetricsSnapshot } from './client/metrics.js';
export type { RateLimitOptions } from './server/rate-limit.js';
export type { AuthThrottleOptions } from './server/auth-throttle.js';
export type {
  ConnectionContext,
  ConnectionMiddleware,
  InboundContext,
  Middleware,
} from './server/middleware.js';
export type { RequestHandler, RequestOptions } from './server/requests.js';
export type { AnyClientEventListener, ClientEventListener, RelayOptions } from './server/events.js';
export { ServerNamespace } from './server/namespace.js';
export {
  SocketClient,
  type ClientState,
  type ClientStateChange,
  type ResumeOutcome,
  type SocketClientOptions,
} from './client/socket-client.js';
export {
  ClientEvents,
  type AnyServerEventListener,
  type ServerEventListener,
} from './client/client-events.js';
export type {
  ClientHandlerContext,
  ClientRequestHandler,
  ClientRequestOptions,
} from './client/client-requests.js';
export { ClientNamespace } from './client/client-namespace.js';
export type { ReconnectOptions } from './client/reconnect.js';
export type { QueueOverflow } from './client/outbox.js';
