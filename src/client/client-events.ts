import type { SocketMessage } from '../message.js';
import { type EventListeners } from '../shared/event-listeners.js';

/** A client-side listener: the payload and the whole message (`message.from` on relayed ones). */
export type ServerEventListener<T = unknown> = (payload: T, message: SocketMessage<T>) => void;

/** A catch-all listener: every message from the server, with its type. */
export type AnyServerEventListener = (
  type: string,
  payload: unknown,
  message: SocketMessage,
) => void;

/**
 * The messages a client receives, by type, with the surface of Node's `EventEmitter`:
 * `client.events.on('said', (payload, message) => …)`. A listener that throws is reported on the
 * client's `onError` and does not stop the others.
 *
 * @typeParam In messages the server sends (type → payload).
 */
export class ClientEvents<In extends object = Record<string, unknown>> {
  /** @internal */
  readonly list: EventListeners<ServerEventListener<never>, AnyServerEventListener>;

  /** @internal made by `SocketClient`. */
  constructor(list: EventListeners<ServerEventListener<never>, AnyServerEventListener>) {
    this.list = list;
  }

  /** Calls `listener` for every message of `type`, after the listeners already there. */
  on<K extends keyof In & string>(type: K, listener: ServerEventListener<In[K]>): this {
    this.list.on(type, listener);
    return this;
  }

  /** Alias of {@link on}. */
  addListener<K extends keyof In & string>(type: K, listener: ServerEventListener<In[K]>): this {
    return this.on(type, listener);
  }

  /** Calls `listener` for the next message of `type` only. */
  once<K extends keyof In & string>(type: K, listener: ServerEventListener<In[K]>): this {
    this.list.once(type, listener);
    return this;
  }

  /** Like {@link on}, but before the listeners already there. */
  prependListener<K extends keyof In & string>(
    type: K,
    listener: ServerEventListener<In[K]>,
  ): this {
    this.list.prepend(type, listener, false);
    return this;
  }

  /** Like {@link once}, but before the listeners already there. */
  prependOnceListener<K extends keyof In & string>(
    type: K,
    listener: ServerEventListener<In[K]>,
  ): this {
    this.list.prepend(type, listener, true);
    return this;
  }

  /** Removes `listener` from `type` (or every listener of `type` without one). */
  off<K extends keyof In & string>(type: K, listener?: ServerEventListener<In[K]>): this {
    this.list.off(type, listener);
    return this;
  }

  /** Alias of {@link off}. */
  removeListener<K extends keyof In & string>(
    type: K,
    listener?: ServerEventListener<In[K]>,
  ): this {
    return this.off(type, listener);
  }

  /** Removes every listener of `type`, or of every type (catch-alls too) without one. */
  removeAllListeners(type?: keyof In & string): this {
    this.list.clear(type);
    return this;
  }

  /** Calls `listener(type, payload, message)` for every message, after the per-type listeners. */
  onAny(listener: AnyServerEventListener): this {
    this.list.onAny(listener);
    return this;
  }

  /** Like {@link onAny}, before the other catch-alls. */
  prependAny(listener: AnyServerEventListener): this {
    this.list.onAny(listener, true);
    return this;
  }

  /** Removes a catch-all, or all of them without `listener`. */
  offAny(listener?: AnyServerEventListener): this {
    this.list.offAny(listener);
    return this;
  }

  /** The number of listeners of `type`. */
  listenerCount(type: keyof In & string): number {
    return this.list.count(type);
  }

  /** The listener functions of `type`, in call order. */
  listeners<K extends keyof In & string>(type: K): ServerEventListener<In[K]>[] {
    return this.list.listeners(type) as ServerEventListener<In[K]>[];
  }

  /** The types that have listeners. */
  eventNames(): string[] {
    return this.list.names();
  }

  /** Past this many listeners on one type a warning is logged (a likely leak); 0 = no limit. @default 10 */
  setMaxListeners(n: number): this {
    this.list.max = n;
    return this;
  }

  /** The current maximum (see {@link setMaxListeners}). */
  getMaxListeners(): number {
    return this.list.max;
  }
}
