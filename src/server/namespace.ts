import { namespacePrefix } from '../namespace-path.js';
import type { AnyMessageMap, SocketMessage } from '../message.js';
import type { AnySchema, AnyHandlerMap } from '../schema.js';
import type { Unsubscribe } from '../ports/types.js';
import { BroadcastOperator } from './broadcast-operator.js';
import type { AnyClientEventListener, ClientEventListener, RelayOptions } from './events.js';
import type { Middleware } from './middleware.js';
import type { MiddlewareStack } from './middleware-stack.js';
import type { RequestHandler, RequestOptions } from './requests.js';
import type { SendToClientOptions, SocketServer } from './socket-server.js';

/**
 * A server seen through a namespace: every name it takes or sends is prefixed (`chat/` for
 * `server.ns('/chat')`), and its middleware runs only for names under it. Nestable with
 * {@link ns}. Names are not checked against the server's schema here: use full names on the
 * server itself for that.
 */
export class ServerNamespace<P = unknown> {
  /** @internal made by `SocketServer.ns()`. */
  constructor(
    private readonly server: SocketServer<AnySchema, P>,
    private readonly middleware: MiddlewareStack<P>,
    /** The prefix this namespace adds, `chat/`. */
    readonly prefix: string,
  ) {}

  /** A namespace inside this one. */
  ns(path: string): ServerNamespace<P> {
    return new ServerNamespace<P>(this.server, this.middleware, namespacePrefix(this.prefix, path));
  }

  /** Middleware for this namespace's messages and requests only, after the global middleware. */
  use(fn: Middleware<P>): this {
    this.middleware.add(this.prefix, fn);
    return this;
  }

  /** `server.handle(prefix + name, …)`. */
  handle(name: string, handler: RequestHandler<P>): this;
  handle(name: string, middleware: readonly Middleware<P>[], handler: RequestHandler<P>): this;
  handle(name: string, a: unknown, b?: unknown): this {
    const server = this.server as unknown as {
      handle(name: string, a: unknown, b?: unknown): unknown;
    };
    if (b === undefined) server.handle(this.prefix + name, a);
    else server.handle(this.prefix + name, a, b);
    return this;
  }

  /** Alias of {@link handle}. */
  addHandler(name: string, handler: RequestHandler<P>): this {
    return this.handle(name, handler);
  }

  /** `server.removeHandler(prefix + name)`. */
  removeHandler(name: string): boolean {
    return this.server.removeHandler(this.prefix + name);
  }

  /** `server.request(clientId, prefix + name, …)`. */
  request(
    clientId: string,
    name: string,
    payload: unknown,
    options?: RequestOptions,
  ): Promise<unknown> {
    return this.server.request(clientId, this.prefix + name, payload, options);
  }

  /** `server.onEvent(prefix + type, …)`. */
  onEvent(type: string, listener: ClientEventListener): this {
    this.server.onEvent(this.prefix + type, listener);
    return this;
  }

  /** `server.onceEvent(prefix + type, …)`. */
  onceEvent(type: string, listener: ClientEventListener): this {
    this.server.onceEvent(this.prefix + type, listener);
    return this;
  }

  /** `server.offEvent(prefix + type, …)`. */
  offEvent(type: string, listener?: ClientEventListener<never>): this {
    this.server.offEvent(this.prefix + type, listener);
    return this;
  }

  /** Calls `listener` for every client message under this namespace, with the full type. */
  onAnyEvent(listener: AnyClientEventListener): Unsubscribe {
    const prefix = this.prefix;
    const inside: AnyClientEventListener = (type, ...rest) => {
      if (type.startsWith(prefix)) listener(type, ...rest);
    };
    this.server.onAnyEvent(inside);
    return () => this.server.offAnyEvent(inside);
  }

  /** `server.relay(prefix + type, …)`; `'*'` relays every type under this namespace. */
  relay(type: string, options?: RelayOptions<P>): Unsubscribe {
    return this.server.relay(this.prefix + type, options);
  }

  /** `server.sendToClient(clientId, { type: prefix + type, … }, options)`. */
  sendToClient(clientId: string, message: SocketMessage, options?: SendToClientOptions): boolean {
    return this.server.sendToClient(
      clientId,
      { ...message, type: this.prefix + message.type },
      options,
    );
  }

  /** A fluent broadcast whose message types and request names get this namespace's prefix. */
  to(topic: string | readonly string[]): BroadcastOperator<AnyMessageMap, AnyHandlerMap> {
    return this.#operator().to(topic);
  }

  /** A fluent volatile broadcast, prefixed: see `BroadcastOperator.volatile`. */
  get volatile(): BroadcastOperator<AnyMessageMap, AnyHandlerMap> {
    return this.#operator().volatile;
  }

  /** A fluent broadcast to every client but `clientId`, prefixed. */
  except(clientId: string | readonly string[]): BroadcastOperator<AnyMessageMap, AnyHandlerMap> {
    return this.#operator().except(clientId);
  }

  /** Sends `{ type: prefix + type, payload }` to every admitted client. @returns recipients */
  emit(type: string, payload: unknown, headers?: Record<string, unknown>): number {
    return this.#operator().emit(type, payload, headers);
  }

  #operator(): BroadcastOperator<AnyMessageMap, AnyHandlerMap> {
    const root = this.server.except([]);
    return new BroadcastOperator(root.target, undefined, [], undefined, this.prefix);
  }
}
