// The hooks with a schema bound once, so components need not repeat it.
import type { ReactElement } from 'react';
import type {
  ClientStateChange,
  PayloadOf,
  ResultOf,
  Schema,
  ServerHandlers,
  SocketClient,
  SocketMessage,
} from '../../src/index.js';
import { PlugSocketProvider, usePlugSocket, type PlugSocketProviderProps } from './context.js';
import { useConnectionState } from './connection.js';
import {
  useLatestMessage,
  useMessageListener,
  useMessages,
  type MessagePayload,
  type MessageType,
  type UseMessagesOptions,
} from './messages.js';
import { usePresence, type PresenceMember, type UsePresenceOptions } from './presence.js';
import { useRequest, type RequestName, type RequestState } from './request.js';
import { useTopic, type TopicState } from './topics.js';

/**
 * The provider and hooks of `plugsocket/react` typed by one {@link Schema} `S`: message types and
 * payloads, request names, payloads and results are checked, with no type argument at each call.
 * Made by {@link createPlugSocketHooks}.
 */
export interface PlugSocketHooks<S extends Schema> {
  /** {@link PlugSocketProvider}, taking a `SocketClient<S>`. */
  readonly PlugSocketProvider: (props: PlugSocketProviderProps<S>) => ReactElement;
  /** {@link usePlugSocket}: the provider's `SocketClient<S>`. */
  readonly usePlugSocket: () => SocketClient<S>;
  /** {@link useConnectionState}. */
  readonly useConnectionState: () => ClientStateChange;
  /** {@link useMessages} for a message type of `S`. */
  readonly useMessages: <K extends MessageType<S>>(
    type: K,
    options?: UseMessagesOptions,
  ) => readonly MessagePayload<S, K>[];
  /** {@link useLatestMessage} for a message type of `S`. */
  readonly useLatestMessage: <K extends MessageType<S>>(
    type: K,
  ) => MessagePayload<S, K> | undefined;
  /** {@link useMessageListener} for a message type of `S`. */
  readonly useMessageListener: <K extends MessageType<S>>(
    type: K,
    handler: (payload: MessagePayload<S, K>, message: SocketMessage<MessagePayload<S, K>>) => void,
  ) => void;
  /** {@link useRequest} for a server handler of `S`. */
  readonly useRequest: <K extends RequestName<S>>(
    name: K,
  ) => RequestState<PayloadOf<ServerHandlers<S>, K>, ResultOf<ServerHandlers<S>, K>>;
  /** {@link useTopic}. */
  readonly useTopic: (topic: string) => TopicState;
  /** {@link usePresence}. */
  readonly usePresence: (topic: string, options?: UsePresenceOptions) => readonly PresenceMember[];
}

/**
 * The provider and hooks bound to schema `S`, for an app whose client is a `SocketClient<S>`:
 * call it once in a module of your own and import the hooks from there. Nothing is made per
 * call: these are the same functions as the untyped exports, with `S` filled in.
 *
 * @typeParam S the schema shared by the server and the client.
 *
 * @example
 * ```ts
 * import { createPlugSocketHooks } from 'plugsocket/react';
 * import type { Chat } from './schema.js';
 *
 * export const { PlugSocketProvider, useMessages, useRequest, useTopic } =
 *   createPlugSocketHooks<Chat>();
 * // elsewhere: useMessages('said') is a `readonly { from: string; text: string }[]`
 * ```
 */
export function createPlugSocketHooks<S extends Schema>(): PlugSocketHooks<S> {
  return {
    PlugSocketProvider: PlugSocketProvider<S>,
    usePlugSocket: usePlugSocket<S>,
    useConnectionState,
    // Generic in S and K: the interface's signatures instantiate S and leave K to each call.
    useMessages,
    useLatestMessage,
    useMessageListener,
    useRequest,
    useTopic,
    usePresence,
  };
}
