import { namespacePrefix } from '../namespace-path.js';
import type { RequestTarget } from '../protocol/envelope.js';
import type { Unsubscribe } from '../ports/types.js';
import type { AnyServerEventListener, ServerEventListener } from './client-events.js';
import type { ClientRequestHandler, ClientRequestOptions } from './client-requests.js';
import type { SocketClient } from './socket-client.js';

/**
 * A client seen through a namespace: every name it sends, handles or listens to is prefixed
 * (`chat/` for `client.ns('/chat')`), matching `server.ns('/chat')`. Nestable with {@link ns}.
 */
export class ClientNamespace {
  /** @internal made by `SocketClient.ns()`. */
  constructor(
    private readonly client: SocketClient,
    /** The prefix this namespace adds, `chat/`. */
    readonly prefix: string,
  ) {}

  /** A namespace inside this one. */
  ns(path: string): ClientNamespace {
    return new ClientNamespace(this.client, namespacePrefix(this.prefix, path));
  }

  /** `client.emit(prefix + type, …)`. */
  emit(type: string, payload: unknown, headers?: Record<string, unknown>): boolean {
    return this.client.emit(this.prefix + type, payload, headers);
  }

  /** `client.request(prefix + name, …)`. */
  request(name: string, payload: unknown, options?: ClientRequestOptions): Promise<unknown> {
    return this.client.request(this.prefix + name, payload, options);
  }

  /** `client.requestClient(target, prefix + name, …)`. */
  requestClient(
    target: RequestTarget,
    name: string,
    payload: unknown,
    options?: ClientRequestOptions,
  ): Promise<unknown> {
    return this.client.requestClient(target, this.prefix + name, payload, options);
  }

  /** `client.handle(prefix + name, …)`. */
  handle(name: string, handler: ClientRequestHandler): this {
    this.client.handle(this.prefix + name, handler);
    return this;
  }

  /** `client.removeHandler(prefix + name)`. */
  removeHandler(name: string): boolean {
    return this.client.removeHandler(this.prefix + name);
  }

  /** `client.events.on(prefix + type, …)`. */
  on(type: string, listener: ServerEventListener): this {
    this.client.events.on(this.prefix + type, listener);
    return this;
  }

  /** `client.events.once(prefix + type, …)`. */
  once(type: string, listener: ServerEventListener): this {
    this.client.events.once(this.prefix + type, listener);
    return this;
  }

  /** `client.events.off(prefix + type, …)`. */
  off(type: string, listener?: ServerEventListener): this {
    this.client.events.off(this.prefix + type, listener);
    return this;
  }

  /** Calls `listener` for every message under this namespace, with the full type. */
  onAny(listener: AnyServerEventListener): Unsubscribe {
    const prefix = this.prefix;
    const inside: AnyServerEventListener = (type, payload, message) => {
      if (type.startsWith(prefix)) listener(type, payload, message);
    };
    this.client.events.onAny(inside);
    return () => this.client.events.offAny(inside);
  }
}
