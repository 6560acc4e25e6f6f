import { PlugSocketError } from '../errors.js';
import { debugLogger, type Logger } from '../logger.js';
import type { MessageOf, SocketMessage } from '../message.js';
import { namespacePrefix } from '../namespace-path.js';
import type { AbstractSocketServer, ServerConnection } from '../ports/abstract-socket-server.js';
import {
  AllowAllAuthorization,
  type AuthorizationStrategy,
} from '../ports/authorization-strategy.js';
import { CloseCodes, assertValidClose } from '../ports/close.js';
import { NEW_SESSION, endsSession } from '../protocol/resume.js';
import type { AnyFrame, CloseInfo, Handshake, ListenAddress } from '../ports/types.js';
import { PROTOCOL_VERSION, assertName } from '../protocol/envelope.js';
import { createServerFrameReader } from '../protocol/frame-reader.js';
import { isName } from '../protocol/kinds.js';
import type {
  AnySchema,
  ClientHandlers,
  HandlerName,
  PayloadOf,
  ResultOf,
  Schema,
  ServerHandlers,
  ServerMessages,
} from '../schema.js';
import { randomId } from '../shared/random-id.js';
import { accessHooks } from './access.js';
import { Admission, defaultPrincipalId } from './admission.js';
import { AuthThrottle } from './auth-throttle.js';
import { Drain } from './drain.js';
import { Heartbeat } from './heartbeat.js';
import { rateLimitSettings } from './rate-limit.js';
import { BroadcastOperator, type BroadcastTarget } from './broadcast-operator.js';
import { coreFor, type ServerCore } from './core.js';
import { ServerEvents } from './events.js';
import { Inbound, topicGate } from './inbound.js';
import type { ConnectionMiddleware, InboundContext, Middleware } from './middleware.js';
import { ServerMetrics, countedSize, type ServerMetricsSnapshot } from './metrics.js';
import { MiddlewareStack } from './middleware-stack.js';
import type { SocketServerOptions } from './options.js';
import { positive } from '../shared/options.js';
import { Router } from './router.js';
import { RESUME_PARAM, SessionResume, type ResumeClaim } from './resume.js';
import { MemorySessionStore } from '../ports/session-store.js';
import {
  ServerRequests,
  type BroadcastReplies,
  type RequestHandler,
  type RequestOptions,
} from './requests.js';
import type { ConnectedClient, Session } from './session.js';
import { SessionRegistry } from './session-registry.js';
import { ServerNamespace } from './namespace.js';
import { ServerEventApi } from './server-event-api.js';
import type { ClusterHost, ClusterLink } from './cluster.js';
import type { ClusterEvents, ServerCluster } from './cluster-events.js';
import {
  clusterHost,
  handSessionsOver,
  joinCluster,
  requestRemote,
  resumeOnCluster,
} from './cluster-wiring.js';

/** Options of {@link SocketServer.broadcast} and {@link SocketServer.sendToSubscribers}. */
export interface BroadcastOptions {
  /** A client id, or ids, that must not receive the message. */
  except?: string | Iterable<string>;
  /**
   * Skip clients whose send backlog is above the transport's `highWaterMark` instead of queueing
   * the message for them (see `BroadcastOperator.volatile` and docs/backpressure.md).
   * @default false
   */
  volatile?: boolean;
}

/** Options of {@link SocketServer.sendToClient}. */
export interface SendToClientOptions {
  /**
   * Drop the message, returning false, when the client's send backlog is above the transport's
   * `highWaterMark` (docs/backpressure.md).
   * @default false
   */
  volatile?: boolean;
}

/** The router's flags of a volatile message, shared: no object per message. */
const VOLATILE_ROUTE = Object.freeze({ volatile: true });

/** Options of {@link SocketServer.shutdown}. */
export interface ShutdownOptions {
  /**
   * Milliseconds the requests being handled get to finish before they are aborted and every
   * client is closed anyway. `0` closes at once; `Infinity` waits as long as they take.
   * @default 10000
   */
  timeout?: number;
}

/**
 * The server: clients with server-assigned ids, topics, broadcasts, request/response in every
 * direction, client events with relay, middleware and namespaces — one wire protocol over any
 * {@link AbstractSocketServer} transport. A facade: each feature lives in a collaborator it owns
 * (admission, inbound pipeline, router, requests, events).
 *
 * @typeParam S what server and clients say to each other (a {@link Schema}).
 * @typeParam P the principal type produced by the authorization strategy.
 *
 * @example
 * ```ts
 * const server = new SocketServer(new WsSocketServer({ port: 8080 }));
 * server.handle('add', ({ a, b }: { a: number; b: number }) => a + b);
 * server.onEvent('say', (payload, from) => server.to('lobby').except(from).emit('said', payload));
 * await server.listen();
 * ```
 */
export class SocketServer<S extends Schema = AnySchema, P = unknown> extends ServerEventApi<S, P> {
  readonly #core: ServerCore<P>;
  readonly #registry = new SessionRegistry<P>();
  /** The counters behind {@link getMetrics}; the same object as `#core.metrics`. */
  readonly #metrics = new ServerMetrics();
  readonly #middleware = new MiddlewareStack<P>();
  readonly #admission: Admission<P>;
  readonly #inbound: Inbound<P>;
  readonly #requests: ServerRequests<P>;
  readonly #events: ServerEvents<P>;
  #state: 'idle' | 'listening' | 'closing' | 'closed' = 'idle';
  #shutdown: Promise<void> | undefined;
  /** Removes the revocation listener from the strategy. */
  #unrevoke: (() => void) | undefined;
  /** Pings clients and ends those that stopped answering; absent when heartbeats are off. */
  readonly #heartbeat: Heartbeat<P> | undefined;
  /** Refuses new work and waits for requests in flight once shutdown begins. */
  readonly #drain: Drain<P>;
  #draining = false;
  /** Session resume; absent with `resumeWindow: 0`. */
  readonly #resume: SessionResume<P> | undefined;
  readonly #link: ClusterLink<P> | undefined;
  readonly #clusterEvents: ClusterEvents;
  /** What the cluster link asks of this server for work other nodes sent. */
  readonly #clusterHost: ClusterHost<P>;
  /** Presence, topic sizes and clients across the cluster (see {@link ServerCluster}). */
  readonly cluster: ServerCluster<P>;

  constructor(adapter: AbstractSocketServer, options: SocketServerOptions<P> = {}) {
    super();
    if (adapter === null || typeof adapter !== 'object' || typeof adapter.listen !== 'function') {
      throw new TypeError('SocketServer needs an AbstractSocketServer adapter');
    }
    const maxPayload = positive(options.maxPayload, 1024 * 1024, 'maxPayload');
    const maxInFlight = positive(options.maxRequestsInFlight, 256, 'maxRequestsInFlight');
    const reader = createServerFrameReader({
      supports: adapter.supports,
      codec: options.codec,
      maxPayload,
      owner: 'SocketServer',
    });
    const logger = options.logger ?? debugLogger('plugsocket:server');
    const metrics = this.#metrics;
    const resumeWindow =
      options.resumeWindow === 0 ? 0 : positive(options.resumeWindow, 120_000, 'resumeWindow');
    const resumeLimits = {
      maxMessages: positive(options.resumeLog?.maxMessages, 1000, 'resumeLog.maxMessages'),
      maxBytes: positive(options.resumeLog?.maxBytes, 1024 * 1024, 'resumeLog.maxBytes'),
    };
    const router = new Router<P>(
      adapter,
      reader.codec,
      this.#registry,
      metrics,
      resumeWindow === 0 ? undefined : resumeLimits.maxBytes,
    );
    this.#core = {
      adapter,
      registry: this.#registry,
      router,
      logger,
      metrics,
      report: (clientId, error) => this.reportError(clientId, error),
      pong: (session) => this.#heartbeat?.pong(session),
    };
    const joined = joinCluster(this.#core, options, resumeWindow !== 0);
    this.#link = joined.link;
    this.#clusterEvents = joined.events;
    this.cluster = joined.cluster;
    const sessionStore = options.sessionStore ?? options.backplane?.sessions;
    this.#resume =
      resumeWindow === 0
        ? undefined
        : new SessionResume<P>(
            this.#core,
            {
              window: resumeWindow,
              limits: resumeLimits,
              store: sessionStore ?? new MemorySessionStore(),
              shared: sessionStore !== undefined,
              ...resumeOnCluster(this.#link),
            },
            this.#replaced,
          );
    const access = options.access ?? {};
    const canJoin = access.join ?? options.canSubscribe;
    this.#requests = new ServerRequests<P>(this.#core, this.#middleware, {
      timeout: positive(options.requestTimeout, 10_000, 'requestTimeout'),
      maxInFlight,
      canRequest: access.address ?? options.canRequest,
    });
    const accessMiddleware = accessHooks(access);
    if (accessMiddleware !== undefined) this.#middleware.add('', accessMiddleware);
    const topics = topicGate(
      this.#core,
      canJoin,
      positive(options.maxTopicsPerClient, 1000, 'maxTopicsPerClient'),
    );
    const authorization =
      options.authorization ?? (new AllowAllAuthorization() as AuthorizationStrategy<P>);
    this.#events = new ServerEvents<P>(coreFor(this.#core, 'events'));
    this.#admission = new Admission<P>(
      coreFor(this.#core, 'admission'),
      {
        authorization,
        timeout: positive(options.handshakeTimeout, 10_000, 'handshakeTimeout'),
        authTimeout: positive(options.authTimeout, 10_000, 'authTimeout'),
        maxPendingFrames: positive(options.maxPendingFrames, 100, 'maxPendingFrames'),
        maxPendingBytes: positive(options.maxPendingBytes, maxPayload, 'maxPendingBytes'),
        maxPendingBytesTotal: positive(
          options.maxPendingBytesTotal,
          16 * 1024 * 1024,
          'maxPendingBytesTotal',
        ),
        maxConnections: positive(options.maxConnections, 100_000, 'maxConnections'),
        maxConnectionsPerAddress: positive(
          options.maxConnectionsPerAddress,
          1000,
          'maxConnectionsPerAddress',
        ),
        throttle:
          options.authThrottle === false ? undefined : new AuthThrottle(options.authThrottle),
        generateId: options.generateId ?? randomId,
        principalId: options.principalId ?? defaultPrincipalId,
        read: (frame) => reader.read(frame),
        revalidateTopics: (session) => topics.revalidate(session),
        resume:
          this.#resume === undefined
            ? undefined
            : {
                claim: (session, principalKey) => this.#resume!.claim(session, principalKey),
                abandon: (claim, session) => this.#resume!.abandon(claim, session),
              },
      },
      this.#admitted,
    );
    this.#clusterHost = clusterHost<P>({
      core: this.#core,
      requests: this.#requests,
      admission: this.#admission,
      resume: this.#resume,
      disconnect: (clientId, code, reason) => this.disconnect(clientId, code, reason),
      gone: (clientId, info) => this.notifyGone(clientId, info),
      ended: this.#sessionEnded,
      listening: () => this.#state === 'listening',
    });
    this.#inbound = new Inbound<P>(
      this.#core,
      reader,
      this.#middleware,
      this.#requests,
      topics,
      this.#deliver,
      maxInFlight,
      rateLimitSettings(options.rateLimit, maxPayload, metrics),
      (session, envelope) => this.#admission.refresh(session, envelope),
      (session) => this.#admission.penalize(session),
    );
    this.#drain = new Drain<P>(
      this.#core,
      (frame) => reader.read(frame),
      (session, frame) => this.#inbound.frame(session, frame),
      this.#resume !== undefined && sessionStore !== undefined,
    );
    this.#unrevoke = authorization.onRevoke?.(this.#revoked);
    const heartbeatInterval = positive(options.heartbeatInterval, 25_000, 'heartbeatInterval');
    const heartbeatTimeout = positive(options.heartbeatTimeout, 20_000, 'heartbeatTimeout');
    this.#heartbeat =
      heartbeatInterval === Infinity
        ? undefined
        : new Heartbeat<P>(
            coreFor(this.#core, 'heartbeat'),
            {
              interval: heartbeatInterval,
              timeout: heartbeatTimeout,
            },
            (session) => {
              metrics.timeouts++;
              this.notifyTimeout(session.id);
            },
          );
    adapter.on('connection', this.#handleConnection);
    adapter.on('message', this.#handleFrame);
    adapter.on('disconnect', this.#handleDisconnect);
    adapter.on('error', this.#handleTransportError);
    adapter.on('pong', this.#handlePong);
  }

  /** @internal */
  protected get logger(): Logger {
    return this.#core.logger;
  }

  /** @internal */
  protected get events(): ServerEvents<P> {
    return this.#events;
  }

  /** The transport this server runs on. */
  get adapter(): AbstractSocketServer {
    return this.#core.adapter;
  }

  /** Starts accepting clients; resolves with the address (e.g. the bound port). */
  async listen(): Promise<ListenAddress> {
    if (this.#state !== 'idle')
      throw new PlugSocketError('INVALID_STATE', `listen() called while ${this.#state}`);
    this.#state = 'listening';
    this.#metrics.startedAt = Date.now();
    await this.#link?.open(this.#clusterHost);
    const address = await this.#core.adapter.listen();
    this.#heartbeat?.start();
    return address;
  }

  /**
   * Shuts the server down gracefully, in this order:
   * 1. it stops accepting: a new connection is closed at once with 1001 ("server shutting down"),
   *    and so is every connection still being admitted;
   * 2. it drains: the requests clients made that are being handled run to completion and their
   *    answers are sent, for up to `timeout` ms; meanwhile a new request or topic join is refused
   *    with a `NOT_CONNECTED` nack and a new message is dropped (its sender gets one
   *    `NOT_CONNECTED` error frame), while answers to the server's own requests, cancels,
   *    leaves and credential refreshes are still handled;
   * 3. at the timeout, what still runs is abandoned: its `ctx.signal` aborts and its answer is
   *    never sent;
   * 4. every client is closed with 1001 ("server shutting down"), which clients take as "come
   *    back later", and the transport is closed; the observables complete and every listener
   *    is released.
   *
   * Resolves when all is closed; with nothing in flight that is at once, with no timer. Calling
   * it again returns the same promise (the first call's options apply). A server that shut down
   * cannot listen again.
   * @param options.timeout @default 10000
   * @throws {RangeError} when `timeout` is not a number ≥ 0 (thrown, not rejected).
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => void server.shutdown({ timeout: 5_000 }));
   * ```
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    const timeout = drainTimeout(options);
    this.#shutdown ??= this.#shutDown(timeout);
    return this.#shutdown;
  }

  async #shutDown(timeout: number): Promise<void> {
    const wasListening = this.#state === 'listening';
    this.#state = 'closing';
    this.#link?.announceLeaving();
    const adapter = this.#core.adapter;
    try {
      if (wasListening) {
        this.#draining = true;
        for (const session of this.#registry.byConnection.values()) {
          if (session.status === 'authorizing') refuseShuttingDown(session.connection);
        }
        await this.#drain.run(timeout);
      }
      await adapter.close(CloseCodes.GOING_AWAY, 'server shutting down');
    } finally {
      this.#state = 'closed';
      // Sessions go to the store for the next server, and end here; on a cluster, another node
      // keeps each until its client comes back (and gets what is sent to it meanwhile).
      const registry = this.#registry;
      const sessions = [...registry.byId.values(), ...registry.parked.values()];
      const link = this.#link;
      const resume = this.#resume;
      if (link !== undefined && resume !== undefined && sessions.length > 0) {
        if (!(await handSessionsOver(link, resume, sessions))) resume.persist(sessions);
      } else resume?.persist(sessions);
      // Saved first: another node may take a session the moment this one leaves.
      await this.#resume?.saved();
      await this.#link
        ?.close()
        .catch((error: unknown) => this.#core.logger.warn('leaving the cluster failed', { error }));
      this.#clusterEvents.clear();
      if (this.#metrics.startedAt >= 0) this.#metrics.stoppedAt = Date.now();
      this.#heartbeat?.stop();
      this.#unrevoke?.();
      this.#unrevoke = undefined;
      adapter.off('connection', this.#handleConnection);
      adapter.off('message', this.#handleFrame);
      adapter.off('disconnect', this.#handleDisconnect);
      adapter.off('error', this.#handleTransportError);
      adapter.off('pong', this.#handlePong);
      this.completeStreams();
    }
  }

  // ---------------------------------------------------------------- metrics

  /**
   * A frozen copy of the server's counters (messages and bytes each way, connections, errors,
   * refusals by reason, heartbeat timeouts), with the subscribers of each topic and the uptime.
   * The counters are kept as plain numbers on the hot path; the copy and the topic counts are
   * made here, so call it when you need it (a scrape, a status page), not per message.
   * See docs/observability.md for what each field counts.
   *
   * @example
   * ```ts
   * const { connections, messagesIn, refusals } = server.getMetrics();
   * ```
   */
  getMetrics(): ServerMetricsSnapshot {
    return this.#metrics.snapshot(
      this.#registry.byId.size,
      this.#registry.topics,
      this.#core.adapter.volatileDropped,
    );
  }

  // ---------------------------------------------------------------- clients

  /** Every admitted client. */
  getClients(): ConnectedClient<P>[] {
    return [...this.#registry.byId.values()];
  }

  /** One admitted client, or undefined. */
  getClient(clientId: string): ConnectedClient<P> | undefined {
    return this.#registry.byId.get(clientId);
  }

  /** Number of admitted clients. */
  get clientCount(): number {
    return this.#registry.byId.size;
  }

  /**
   * Sends a message to one client. To send much without queueing without limit, check the
   * client's saturation first (docs/backpressure.md):
   * `const c = server.getClient(id); if (c && !c.writable) await c.drained();`
   * @returns false when no such client is connected, or when `options.volatile` is set and the
   *   client is saturated (the message was dropped). With a `backplane`, a client not on this
   *   node is looked for on the others: the message is published and true returned (the node
   *   that holds it delivers it; nobody does when it is nowhere).
   */
  sendToClient(
    clientId: string,
    message: MessageOf<ServerMessages<S>>,
    options?: SendToClientOptions,
  ): boolean {
    return this.#core.router.toClient(
      clientId,
      message,
      options?.volatile === true ? VOLATILE_ROUTE : undefined,
    );
  }

  /**
   * Closes one client's connection. Resolves when it is gone (at once if it is unknown). A close
   * that ends a session (the default 1000, a policy or any 3000–4999 code) also ends the session
   * of a client whose connection was already lost, so it cannot resume; other codes leave such a
   * session to its resume window.
   */
  disconnect(clientId: string, code: number = CloseCodes.NORMAL, reason = ''): Promise<void> {
    const session = this.#registry.byId.get(clientId);
    if (session !== undefined) return session.connection.close(code, reason);
    try {
      assertValidClose(code, reason);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new RangeError(String(error)));
    }
    const parked = this.#registry.parked.get(clientId);
    if (parked !== undefined) {
      if (endsSession(code)) this.#resume?.end(parked);
      return Promise.resolve();
    }
    const link = this.#link;
    if (link === undefined) return Promise.resolve();
    // Held by another node: it closes it, and answers when it did.
    return link.locate(clientId).then(
      (where) =>
        where === undefined || where.node === link.id
          ? undefined
          : link.disconnect(where.node, clientId, code, reason),
      () => undefined,
    );
  }

  /**
   * Sends a message to every client of a user — by principal id (see the `principalId` option) —
   * wherever they are connected: on this node and, with a `backplane`, on every other. Clients
   * whose connection is lost and may resume get it on resume.
   * @returns the clients of the user on this node it was handed to.
   */
  sendToUser(user: string, message: MessageOf<ServerMessages<S>>): number {
    if (typeof user !== 'string' || user === '')
      throw new TypeError('user must be a non-empty string');
    return this.#core.router.toUser(user, message);
  }

  // ---------------------------------------------------------------- broadcast and topics

  /**
   * Sends a message to every admitted client (but those in `except`), encoded once; with
   * `volatile`, skipping saturated clients.
   * @returns recipients
   */
  broadcast(message: MessageOf<ServerMessages<S>>, options: BroadcastOptions = {}): number {
    return this.#core.router.broadcast(
      { except: options.except },
      message,
      options.volatile === true ? VOLATILE_ROUTE : undefined,
    );
  }

  /** Subscribes a client to a topic. @returns false if the client is unknown or already in it. */
  subscribe(clientId: string, topic: string): boolean {
    assertName(topic, 'topic');
    const session = this.#registry.byId.get(clientId);
    return session !== undefined && this.#registry.subscribe(session, topic);
  }

  /** Removes a client from a topic. @returns false if it was not in it. */
  unsubscribe(clientId: string, topic: string): boolean {
    const session = this.#registry.byId.get(clientId);
    return session !== undefined && this.#registry.unsubscribe(session, topic);
  }

  /** Sends a message to every subscriber of `topic` (but those in `except`); encoded once. */
  sendToSubscribers(
    topic: string,
    message: MessageOf<ServerMessages<S>>,
    options: BroadcastOptions = {},
  ): number {
    return this.#core.router.broadcast(
      { topics: [topic], except: options.except },
      message,
      options.volatile === true ? VOLATILE_ROUTE : undefined,
    );
  }

  /** The topics that have at least one subscriber. */
  getTopics(): string[] {
    return [...this.#registry.topics.keys()];
  }

  /** The ids of a topic's subscribers. */
  getSubscribers(topic: string): string[] {
    const members = this.#registry.topics.get(topic);
    return members === undefined ? [] : [...members].map((s) => s.id);
  }

  /**
   * Starts a fluent broadcast to one or more topics: `server.to('a').except(id).emit(type, payload)`
   * or `server.to('a').timeout(5000).request(name, payload)`. Each step returns a new operator.
   */
  to(topic: string | readonly string[]): BroadcastOperator<ServerMessages<S>, ClientHandlers<S>> {
    return new BroadcastOperator(
      this.#target,
      typeof topic === 'string' ? [topic] : [...topic],
      [],
    );
  }

  /**
   * A fluent volatile broadcast to every admitted client (Socket.IO's `io.volatile.emit`): clients
   * whose send backlog is above the transport's `highWaterMark` are skipped rather than queued
   * for. Chain as usual: `server.volatile.to('prices').emit('tick', quote)`. See
   * `BroadcastOperator.volatile` and docs/backpressure.md.
   */
  get volatile(): BroadcastOperator<ServerMessages<S>, ClientHandlers<S>> {
    return new BroadcastOperator(this.#target, undefined, [], undefined, '', true);
  }

  /** A fluent broadcast to everyone but the given client(s). */
  except(
    clientId: string | readonly string[],
  ): BroadcastOperator<ServerMessages<S>, ClientHandlers<S>> {
    return new BroadcastOperator(
      this.#target,
      undefined,
      typeof clientId === 'string' ? [clientId] : [...clientId],
    );
  }

  // ---------------------------------------------------------------- requests

  /**
   * Answers clients' `request(name, payload)` with `handler(payload, ctx)`'s result (which may be
   * a promise). Optional `middleware` runs for this handler only, after the global and namespace
   * middleware. A `PlugSocketError` the handler throws reaches the client with its code and
   * message; anything else as `SERVER_ERROR` with a generic message.
   * @throws {Error} when `name` already has a handler.
   */
  handle<K extends HandlerName<ServerHandlers<S>>>(name: K, handler: ServerHandler<S, P, K>): this;
  handle<K extends HandlerName<ServerHandlers<S>>>(
    name: K,
    middleware: readonly Middleware<P>[],
    handler: ServerHandler<S, P, K>,
  ): this;
  handle(name: string, a: unknown, b?: unknown): this {
    assertName(name, 'handler name');
    const [middleware, handler] = b === undefined ? [[], a] : [a, b];
    if (!Array.isArray(middleware)) throw new TypeError('middleware must be an array of functions');
    this.#requests.handle(name, handler as RequestHandler<P>, middleware as Middleware<P>[]);
    return this;
  }

  /** Alias of {@link handle}. */
  addHandler<K extends HandlerName<ServerHandlers<S>>>(
    name: K,
    handler: ServerHandler<S, P, K>,
  ): this {
    return this.handle(name, handler);
  }

  /** Removes the handler of `name`. @returns false if there was none. */
  removeHandler(name: string): boolean {
    return this.#requests.remove(name);
  }

  /** True when `name` has a handler. */
  hasHandler(name: string): boolean {
    return this.#requests.has(name);
  }

  /**
   * Asks one client: calls the handler it registered with `client.handle(name, fn)`.
   * @throws {PlugSocketError} `NOT_CONNECTED` (no such client, or it left before answering),
   *   `TIMEOUT`, `ABORTED`, `TOO_MANY_REQUESTS`, or the error the client's handler answered with.
   */
  request<K extends HandlerName<ClientHandlers<S>>>(
    clientId: string,
    name: K,
    payload: PayloadOf<ClientHandlers<S>, K>,
    options?: RequestOptions,
  ): Promise<ResultOf<ClientHandlers<S>, K>> {
    assertName(name, 'request name');
    // A parked client (connection lost, may resume) gets the request in its resume log.
    const session = this.#registry.byId.get(clientId) ?? this.#registry.parked.get(clientId);
    if (session === undefined && this.#link !== undefined)
      return requestRemote(this.#link, clientId, name, payload, options) as Promise<
        ResultOf<ClientHandlers<S>, K>
      >;
    if (session === undefined || !session.live) {
      return Promise.reject(
        new PlugSocketError('NOT_CONNECTED', `client ${clientId} is not connected`),
      );
    }
    return this.#requests.request(session, name, payload, options) as Promise<
      ResultOf<ClientHandlers<S>, K>
    >;
  }

  // ---------------------------------------------------------------- middleware and namespaces

  /** Adds application middleware for every message and request (see {@link Middleware}). */
  use(fn: Middleware<P>): this {
    this.#middleware.add('', fn);
    return this;
  }

  /** Adds connection middleware: it runs on each handshake before authorization and may refuse. */
  useConnection(fn: ConnectionMiddleware): this {
    this.#admission.use(fn);
    return this;
  }

  /**
   * A view of this server whose names are prefixed with the namespace: `ns('/chat').handle('say', …)`
   * handles `chat/say`. Nestable; a namespace's middleware runs only for its names.
   */
  ns(path: string): ServerNamespace<P> {
    return new ServerNamespace<P>(this, this.#middleware, namespacePrefix('', path));
  }

  // ---------------------------------------------------------------- internals

  readonly #target: BroadcastTarget = {
    deliver: (topics, except, message, volatile) =>
      this.#core.router.broadcast(
        { topics, except: except?.length === 1 ? except[0] : except },
        message,
        volatile ? VOLATILE_ROUTE : undefined,
      ),
    requestMany: async (topics, except, name, payload, timeout) => {
      assertName(name, 'request name');
      const sessions = this.#core.router.select({ topics, except });
      const ms = timeout ?? this.#requests.defaultTimeout;
      const link = this.#link;
      if (link === undefined) return this.#requests.requestMany(sessions, name, payload, ms);
      const [local, remote] = await Promise.all([
        this.#requests.requestMany(sessions, name, payload, ms),
        link.requestMany({ topics, except }, name, payload, ms),
      ]);
      for (const replies of remote) {
        for (const [id, value] of replies.results) local.results.set(id, value);
        for (const [id, error] of replies.errors) local.errors.set(id, error);
        local.timedOut.push(...replies.timedOut);
      }
      return local;
    },
  };

  readonly #admitted = (session: Session<P>, outcome: ResumeClaim<P>): void => {
    this.#metrics.connectionsTotal++;
    const resumed = outcome.resumed === true;
    if (resumed) this.#registry.unpark(session);
    this.#registry.admit(session);
    const welcome: Record<string, unknown> = { k: 'welcome', v: PROTOCOL_VERSION, id: session.id };
    const user = session.principalKey;
    if (user !== undefined && isName(user)) welcome.user = user;
    const resume = this.#resume;
    if (resume !== undefined && SessionResume.resumable(outcome)) {
      if (session.resume === undefined) resume.start(session);
      welcome.session = resume.renewToken(session, outcome);
    }
    if (outcome.resumed !== undefined) {
      welcome.resumed = outcome.resumed;
      if (resumed) welcome.received = session.resume!.received;
      else welcome.reason = resume === undefined ? 'disabled' : outcome.reason;
    } else if (resume === undefined && hasResumeRequest(session)) {
      welcome.resumed = false;
      welcome.reason = 'disabled';
    }
    const router = this.#core.router;
    router.control(session, router.encodeEnvelope(welcome));
    if (resumed && resume !== undefined)
      for (const frame of resume.replay(session, outcome.from ?? 0)) router.control(session, frame);
    this.notifyAdmitted(session);
    const pending = session.admission?.pending;
    session.admission = undefined;
    if (pending !== undefined)
      for (const frame of pending)
        if (session.status === 'open') this.#inbound.frame(session, frame);
  };

  readonly #deliver = (session: Session<P>, message: SocketMessage): void => {
    if (this.#events.active) this.#events.dispatch(session, message);
    this.notifyMessage(session, message);
  };

  readonly #handleConnection = (connection: ServerConnection, handshake: Handshake): void => {
    // The transport accepts until the drain ends; the server no longer admits anyone.
    if (this.#shutdown !== undefined) refuseShuttingDown(connection);
    else this.#admission.accept(connection, handshake);
  };

  readonly #handleFrame = (connection: ServerConnection, frame: AnyFrame): void => {
    const session = this.#registry.byConnection.get(connection);
    if (session === undefined) return;
    const metrics = this.#metrics;
    metrics.messagesIn++;
    metrics.bytesIn += countedSize(frame);
    if (session.status === 'open') {
      session.hbSeen = true;
      if (this.#draining) this.#drain.frame(session, frame);
      else this.#inbound.frame(session, frame);
    } else if (session.status === 'authorizing') this.#admission.hold(session, frame);
  };

  readonly #handleDisconnect = (connection: ServerConnection, info: CloseInfo): void => {
    const session = this.#registry.byConnection.get(connection);
    if (session === undefined) return;
    const wasOpen = session.status === 'open';
    this.#admission.release(session);
    const resume = this.#resume;
    if (wasOpen && resume?.parks(session, info) === true) {
      // A shutdown's drain still waits for its requests: their answers go to its log.
      resume.park(session, this.#sessionEnded);
      this.notifyGone(session.id, info);
      return;
    }
    session.dispose();
    this.#registry.remove(session);
    if (this.#draining) this.#drain.gone(session);
    if (!wasOpen) return;
    this.notifyGone(session.id, info);
  };

  /** A parked session's window ended: it is gone for good. */
  readonly #sessionEnded = (session: Session<P>): void => {
    this.#resume?.end(session);
  };

  /**
   * A client resumed its session on a new connection while the server still held the old one
   * open (half-open): the old connection is dropped and reported gone, as if it had been lost.
   */
  readonly #replaced = (session: Session<P>): void => {
    const connection = session.connection;
    this.#admission.release(session);
    this.#resume!.park(session, this.#sessionEnded);
    this.notifyGone(session.id, {
      code: CloseCodes.ABNORMAL,
      reason: 'replaced by a resumed connection',
    });
    this.#core.adapter.terminateConnection(connection);
  };

  readonly #handlePong = (connection: ServerConnection): void => {
    const session = this.#registry.byConnection.get(connection);
    if (session !== undefined) this.#heartbeat?.pong(session);
  };

  /** The strategy revoked a principal's credentials: its connections close at once. */
  readonly #revoked = (principalId: string): void => {
    // A parked session of the principal may not be resumed either.
    for (const parked of [...this.#registry.parked.values()]) {
      if (parked.principalKey === String(principalId)) this.#resume?.end(parked);
    }
    const sessions = this.#registry.byPrincipal.get(String(principalId));
    if (sessions === undefined) return;
    for (const session of [...sessions]) {
      void session.connection
        .close(CloseCodes.AUTHENTICATION_FAILED, 'credentials revoked')
        .catch(() => undefined);
    }
  };

  /** @internal counts what is reported on `onError`, then reports it. */
  protected override reportError(clientId: string | undefined, error: PlugSocketError): void {
    const metrics = this.#metrics;
    metrics.errors++;
    // The frame reader's size check (and the codec's, for structured frames) ends in a report.
    if (error.code === 'PAYLOAD_TOO_LARGE') metrics.refusedPayload++;
    super.reportError(clientId, error);
  }

  readonly #handleTransportError = (
    connection: ServerConnection | undefined,
    error: PlugSocketError,
  ): void => {
    const session =
      connection === undefined ? undefined : this.#registry.byConnection.get(connection);
    this.reportError(session?.id, error);
  };
}

/** The drain timeout of `shutdown`, checked. */
function drainTimeout(options: ShutdownOptions): number {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('shutdown options must be an object');
  }
  const timeout = options.timeout === undefined ? 10_000 : options.timeout;
  if (typeof timeout !== 'number' || !(timeout >= 0)) {
    throw new RangeError(`shutdown timeout must be a number ≥ 0, got ${String(timeout)}`);
  }
  return timeout;
}

/** True when a client asked to resume a session (a server with resume off says `disabled`). */
function hasResumeRequest(session: Session<unknown>): boolean {
  const token = session.handshake.query[RESUME_PARAM];
  return token !== undefined && token !== NEW_SESSION;
}

function refuseShuttingDown(connection: ServerConnection): void {
  void connection.close(CloseCodes.GOING_AWAY, 'server shutting down').catch(() => undefined);
}

/** A server handler of schema `S` for `K`: typed payload in, typed result out. */
export type ServerHandler<S extends Schema, P, K extends HandlerName<ServerHandlers<S>>> = (
  payload: PayloadOf<ServerHandlers<S>, K>,
  ctx: InboundContext<P>,
) => ResultOf<ServerHandlers<S>, K> | Promise<ResultOf<ServerHandlers<S>, K>>;

export type { BroadcastReplies };
