import type { SocketMessage } from '../message.js';
import type { ServerCore } from './core.js';
import type { ConnectedClient, Session } from './session.js';
import { EventListeners } from '../shared/event-listeners.js';
import { PlugSocketError } from '../errors.js';

/** A server-side listener for a client event: the payload, the sender's id and the message. */
export type ClientEventListener<T = unknown> = (
  payload: T,
  clientId: string,
  message: SocketMessage<T>,
) => void;

/** A catch-all listener: every client event, with its type. */
export type AnyClientEventListener = (
  type: string,
  payload: unknown,
  clientId: string,
  message: SocketMessage,
) => void;

/** Where `SocketServer.relay()` forwards a client's events. */
export interface RelayOptions<P = unknown> {
  /**
   * `'all'` (the default): every admitted client; `{ topic }`: the subscribers of a topic (or of
   * any of several); a function: the clients for which it returns true.
   */
  to?:
    | 'all'
    | { topic: string | readonly string[] }
    | ((client: ConnectedClient<P>, message: SocketMessage, from: ConnectedClient<P>) => boolean);
  /** Also send the event back to its sender. @default false */
  echo?: boolean;
}

/**
 * @internal Client events on the server: listeners by type with the `EventEmitter` surface, a
 * catch-all, and relay rules that forward a client's events to other clients marked with the
 * sender's id (`from`).
 */
export class ServerEvents<P> {
  readonly listeners: EventListeners<ClientEventListener<never>, AnyClientEventListener>;
  readonly #relays = new Map<string, RelayOptions<P>>();
  /** The sender of the event being dispatched, so a listener's throw names it. */
  #sender: string | undefined;

  constructor(private readonly core: ServerCore<P>) {
    this.listeners = new EventListeners(
      (error, name) =>
        core.report(
          this.#sender,
          new PlugSocketError('SERVER_ERROR', `a listener of event "${name}" threw`, {
            cause: error,
          }),
        ),
      (name, count) =>
        core.logger.warn(`event "${name}" has ${count} listeners: a likely leak`, { name, count }),
    );
  }

  /** True when events need dispatching here (a listener, a catch-all or a relay rule). */
  get active(): boolean {
    return this.listeners.nameCount > 0 || this.listeners.hasAny || this.#relays.size > 0;
  }

  /** Calls the listeners of the message's type and the catch-alls, then applies relay rules. */
  dispatch(session: Session<P>, message: SocketMessage): void {
    const { type, payload } = message;
    this.#sender = session.id;
    this.listeners.emit(
      type,
      [payload as never, session.id, message as never],
      [type, payload, session.id, message],
    );
    this.#sender = undefined;
    if (this.#relays.size > 0) this.#relay(session, message);
  }

  /** Forwards clients' events of `type` (`'*'` for every type) as `options` says. */
  relay(type: string, options: RelayOptions<P>): () => void {
    const to = options.to ?? 'all';
    if (!(to === 'all' || typeof to === 'function' || (typeof to === 'object' && to !== null))) {
      throw new TypeError("relay 'to' must be 'all', { topic } or a function");
    }
    const rule = { ...options, to };
    this.#relays.set(type, rule);
    return () => {
      if (this.#relays.get(type) === rule) this.#relays.delete(type);
    };
  }

  /** The rule of `type`, else of the nearest enclosing namespace's `prefix/*`, else of `*`. */
  #ruleFor(type: string): RelayOptions<P> | undefined {
    const own = this.#relays.get(type);
    if (own !== undefined) return own;
    for (let i = type.lastIndexOf('/'); i !== -1; i = type.lastIndexOf('/', i - 1)) {
      const rule = this.#relays.get(`${type.slice(0, i + 1)}*`);
      if (rule !== undefined) return rule;
      if (i === 0) break;
    }
    return this.#relays.get('*');
  }

  #relay(session: Session<P>, message: SocketMessage): void {
    const rule = this.#ruleFor(message.type);
    if (rule === undefined) return;
    const to = rule.to ?? 'all';
    const except = rule.echo === true ? undefined : session.id;
    try {
      if (to === 'all') this.core.router.broadcast({ except }, message, { from: session.id });
      else if (typeof to === 'function') {
        this.core.router.broadcast(
          { except, filter: (client) => to(client, message, session) },
          message,
          { from: session.id },
        );
      } else {
        const topics = typeof to.topic === 'string' ? [to.topic] : to.topic;
        this.core.router.broadcast({ topics, except }, message, { from: session.id });
      }
    } catch (error) {
      this.core.report(
        session.id,
        new PlugSocketError('SERVER_ERROR', `relaying "${message.type}" failed`, { cause: error }),
      );
    }
  }
}
