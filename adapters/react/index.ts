// The `plugsocket/react` entry point: React bindings for a `SocketClient` — a provider, and hooks
// for the connection state, messages, requests, topics and presence. React (>= 18) is an optional
// peer dependency, loaded only by this entry.
export { PlugSocketProvider, usePlugSocket, type PlugSocketProviderProps } from './context.js';
export { useConnectionState, type ConnectionState } from './connection.js';
export {
  DEFAULT_MESSAGE_LIMIT,
  useLatestMessage,
  useMessageListener,
  useMessages,
  type MessagePayload,
  type MessageType,
  type UseMessagesOptions,
} from './messages.js';
export { useRequest, type RequestName, type RequestState } from './request.js';
export { useTopic, type TopicState } from './topics.js';
export {
  usePresence,
  type PresenceMember,
  type PresenceMessage,
  type UsePresenceOptions,
} from './presence.js';
export { createPlugSocketHooks, type PlugSocketHooks } from './typed.js';
