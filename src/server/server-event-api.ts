import type { ClientMessages, Schema } from '../schema.js';
import { assertName } from '../protocol/envelope.js';
import type { Unsubscribe } from '../ports/types.js';
import type {
  AnyClientEventListener,
  ClientEventListener,
  RelayOptions,
  ServerEvents,
} from './events.js';
import { ServerNotifications } from './server-notifications.js';

/**
 * Client events on the server, with the surface of Node's `EventEmitter` (`onEvent`,
 * `onceEvent`, `offEvent`, …), a catch-all, and relay rules. The base of `SocketServer`.
 */
export abstract class ServerEventApi<S extends Schema, P> extends ServerNotifications<S, P> {
  /** @internal the listeners and relay rules, made by `SocketServer`. */
  protected abstract get events(): ServerEvents<P>;

  /** Calls `listener(payload, clientId, message)` for each client message of `type`. */
  onEvent<K extends keyof ClientMessages<S> & string>(
    type: K,
    listener: ClientEventListener<ClientMessages<S>[K]>,
  ): this {
    this.events.listeners.on(type, listener);
    return this;
  }

  /** Like {@link onEvent}, for the next such message only. */
  onceEvent<K extends keyof ClientMessages<S> & string>(
    type: K,
    listener: ClientEventListener<ClientMessages<S>[K]>,
  ): this {
    this.events.listeners.once(type, listener);
    return this;
  }

  /** Removes a listener of `type`, or all of them without `listener`. */
  offEvent(type: string, listener?: ClientEventListener<never>): this {
    this.events.listeners.off(type, listener);
    return this;
  }

  /** Calls `listener(type, payload, clientId, message)` for every client message. */
  onAnyEvent(listener: AnyClientEventListener): this {
    this.events.listeners.onAny(listener);
    return this;
  }

  /** Removes a catch-all listener, or all of them without `listener`. */
  offAnyEvent(listener?: AnyClientEventListener): this {
    this.events.listeners.offAny(listener);
    return this;
  }

  /**
   * Calls the listeners of `type` as if client `clientId` had sent it (no middleware, no relay).
   * @returns true when a listener was called.
   */
  emitEvent(type: string, payload: unknown, clientId = ''): boolean {
    return this.events.listeners.emit(
      type,
      [payload as never, clientId, { type, payload } as never],
      [type, payload, clientId, { type, payload }],
    );
  }

  /** True when `type` has listeners. */
  hasEventListeners(type: string): boolean {
    return this.events.listeners.has(type);
  }

  /** The number of listeners of `type`. */
  getEventListenerCount(type: string): number {
    return this.events.listeners.count(type);
  }

  /** The event types that have listeners. */
  getEventNames(): string[] {
    return this.events.listeners.names();
  }

  /** Past this many listeners on one type a warning is logged (a likely leak); 0 = no limit. @default 10 */
  setMaxEventListeners(n: number): this {
    this.events.listeners.max = n;
    return this;
  }

  /** Removes every listener of `type`. */
  clearEvent(type: string): this {
    this.events.listeners.clear(type);
    return this;
  }

  /** Removes every event listener, catch-alls included. */
  clearAllEvents(): this {
    this.events.listeners.clear();
    return this;
  }

  /**
   * Forwards clients' messages of `type` to other clients, marked with the sender's id
   * (`message.from` on the client). `'*'` covers every type without a rule of its own, and
   * `'chat/*'` (what `ns('/chat').relay('*')` registers) every type under `chat/` without one;
   * the nearest rule wins. Never back to the sender unless `echo` is set. One rule per type: a new
   * one replaces the old.
   * @returns a function that removes the rule.
   */
  relay(type: string, options: RelayOptions<P> = {}): Unsubscribe {
    assertName(type, 'message type');
    return this.events.relay(type, options);
  }
}
