// Messages the server sends, by type, as React state or as a callback.
import { useEffect, useState } from 'react';
import type { AnySchema, Schema, ServerMessages, SocketMessage } from '../../src/index.js';
import { usePlugSocket } from './context.js';
import { useLatest } from './latest.js';

/** The message types the server sends under schema `S`. */
export type MessageType<S extends Schema> = keyof ServerMessages<S> & string;

/** The payload of message type `K` under schema `S`. */
export type MessagePayload<S extends Schema, K extends MessageType<S>> = ServerMessages<S>[K];

/** Options of {@link useMessages}. */
export interface UseMessagesOptions {
  /**
   * How many payloads to keep, the most recent: older ones are dropped. A positive integer.
   * @default 100
   */
  readonly limit?: number;
}

/** The default of {@link UseMessagesOptions.limit}. */
export const DEFAULT_MESSAGE_LIMIT = 100;

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`useMessages: limit must be a positive integer, got ${String(limit)}`);
  return limit;
}

/**
 * Calls `handler(payload, message)` for every message of `type` the client receives while the
 * component is mounted. The handler may be a new closure on every render: the latest one is
 * called, and the subscription is made once (again only when `type` or the client changes).
 *
 * @typeParam S the client's {@link Schema}.
 * @typeParam K the message type.
 *
 * @example
 * ```tsx
 * function Toasts() {
 *   const [toasts, setToasts] = useState<string[]>([]);
 *   useMessageListener('alert', (payload) => setToasts((t) => [...t, String(payload)]));
 *   return <ul>{toasts.map((t, i) => <li key={i}>{t}</li>)}</ul>;
 * }
 * ```
 * @throws {Error} outside a {@link PlugSocketProvider}.
 */
export function useMessageListener<
  S extends Schema = AnySchema,
  K extends MessageType<S> = MessageType<S>,
>(
  type: K,
  handler: (payload: MessagePayload<S, K>, message: SocketMessage<MessagePayload<S, K>>) => void,
): void {
  const client = usePlugSocket<S>();
  const latest = useLatest(handler);
  useEffect(
    () => client.subscribe(type, (payload, message) => latest.current(payload, message)),
    [client, type, latest],
  );
}

/**
 * The payloads of the messages of `type` received since the component mounted, oldest first,
 * at most `limit` (the most recent). A new array on each message; it starts empty again when
 * `type` or the client changes.
 *
 * @typeParam S the client's {@link Schema}.
 * @typeParam K the message type.
 *
 * @example
 * ```tsx
 * function Chat() {
 *   const lines = useMessages<Chat, 'said'>('said', { limit: 50 });
 *   return <ul>{lines.map((l, i) => <li key={i}>{l.from}: {l.text}</li>)}</ul>;
 * }
 * ```
 * @throws {RangeError} when `limit` is not a positive integer.
 * @throws {Error} outside a {@link PlugSocketProvider}.
 */
export function useMessages<
  S extends Schema = AnySchema,
  K extends MessageType<S> = MessageType<S>,
>(type: K, options: UseMessagesOptions = {}): readonly MessagePayload<S, K>[] {
  const limit = checkLimit(options.limit ?? DEFAULT_MESSAGE_LIMIT);
  const client = usePlugSocket<S>();
  // Tagged with what they were received for, so a change of type or client shows [] at once.
  const [received, setReceived] = useState<{
    readonly source: unknown;
    readonly type: string;
    readonly items: readonly MessagePayload<S, K>[];
  }>({ source: client, type, items: [] });
  useEffect(() => {
    setReceived((current) =>
      current.source === client && current.type === type
        ? current
        : { source: client, type, items: [] },
    );
    return client.subscribe(type, (payload) =>
      setReceived((current) => {
        const previous = current.source === client && current.type === type ? current.items : [];
        const items = [...previous, payload];
        if (items.length > limit) items.splice(0, items.length - limit);
        return { source: client, type, items };
      }),
    );
  }, [client, type, limit]);
  const fresh = received.source === client && received.type === type;
  if (!fresh) return EMPTY;
  return received.items.length > limit ? received.items.slice(-limit) : received.items;
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The payload of the last message of `type` received since the component mounted; undefined
 * before the first (and again when `type` or the client changes).
 *
 * @typeParam S the client's {@link Schema}.
 * @typeParam K the message type.
 *
 * @example
 * ```tsx
 * function Price() {
 *   const tick = useLatestMessage<Market, 'tick'>('tick');
 *   return <output>{tick === undefined ? '…' : tick.price}</output>;
 * }
 * ```
 * @throws {Error} outside a {@link PlugSocketProvider}.
 */
export function useLatestMessage<
  S extends Schema = AnySchema,
  K extends MessageType<S> = MessageType<S>,
>(type: K): MessagePayload<S, K> | undefined {
  const client = usePlugSocket<S>();
  const [latest, setLatest] = useState<{
    readonly source: unknown;
    readonly type: string;
    readonly payload: MessagePayload<S, K> | undefined;
  }>({ source: client, type, payload: undefined });
  useEffect(() => {
    setLatest((current) =>
      current.source === client && current.type === type
        ? current
        : { source: client, type, payload: undefined },
    );
    return client.subscribe(type, (payload) => setLatest({ source: client, type, payload }));
  }, [client, type]);
  return latest.source === client && latest.type === type ? latest.payload : undefined;
}
