import { PlugSocketError } from '../errors.js';
import { debugLogger, type Logger } from '../logger.js';
import type { MessageOf, SocketMessage } from '../message.js';
import { namespacePrefix } from '../namespace-path.js';
import type { AbstractSocket } from '../ports/abstract-socket.js';
import {
  AllowAllAuthorization,
  type AuthorizationStrategy,
} from '../ports/authorization-strategy.js';
import { assertValidClose, CloseCodes } from '../ports/close.js';
import type { AnyFrame, CloseInfo, ConnectOptions, Unsubscribe } from '../ports/types.js';
import {
  assertHeadersToSend,
  assertName,
  messageEnvelope,
  type RequestTarget,
  type ServerEnvelope,
  type WelcomeEnvelope,
} from '../protocol/envelope.js';
import { createClientFrameReader, type FrameReader } from '../protocol/frame-reader.js';
import type {
  AnySchema,
  ClientHandlers,
  ClientMessages,
  HandlerName,
  PayloadOf,
  ResultOf,
  Schema,
  ServerHandlers,
  ServerMessages,
} from '../schema.js';
import {
  ClientRequests,
  type ClientHandlerContext,
  type ClientRequestHandler,
  type ClientRequestOptions,
} from './client-requests.js';
import { ClientNamespace } from './client-namespace.js';
import { positive } from '../shared/options.js';
import type { SocketClientOptions } from './options.js';

export type { SocketClientOptions };
import { ClientTopics } from './client-topics.js';
import { SendThrottle } from './throttle.js';
import { createOutbox, type Outbox } from './outbox.js';
import { reconnectSettings } from './reconnect.js';
import { ReconnectLoop } from './connection-loop.js';
import { DrainWatch } from './drain-watch.js';
import { ConnectionAttempt } from './connection-attempt.js';
import {
  ClientNotifications,
  type ClientState,
  type ClientStateChange,
} from './client-notifications.js';
import { ClientResume, type ResumeOutcome } from './resume.js';
import { endsSession, isStreamKind } from '../protocol/resume.js';
import { createClientHeartbeat, type ClientHeartbeat } from './heartbeat.js';
import {
  ClientCounters,
  connectionInfo,
  frameBytes,
  metricsSnapshot,
  type ClientConnectionInfo,
  type ClientMetricsSnapshot,
} from './metrics.js';

export type { ClientConnectionInfo, ClientMetricsSnapshot };

export type { ClientState, ClientStateChange, ResumeOutcome };

/** What a frame handed to the transport counts as in the metrics. */
type SentKind = 0 | 1 | 2 | 3;
const SENT_OTHER = 0;
const SENT_MESSAGE = 1;
const SENT_REQUEST = 2;
/** A control frame (`ping`, `pong`, `got`, the first-frame `auth`): not part of the stream. */
const SENT_CONTROL = 3;

/**
 * The client: connects to a `SocketServer` over any {@link AbstractSocket} transport; sends and
 * receives typed messages, makes and answers requests (to and from the server, and to other
 * clients through it), and joins topics. A facade over a connect attempt, its requests and its
 * events.
 *
 * @typeParam S what server and clients say to each other (a {@link Schema}), shared with the server.
 *
 * @example
 * ```ts
 * const client = new SocketClient(new WsSocket(), { url: 'ws://127.0.0.1:8080' });
 * client.events.on('said', (payload) => render(payload));
 * await client.connect();
 * const sum = await client.request('add', { a: 1, b: 2 });
 * ```
 */
export class SocketClient<S extends Schema = AnySchema> extends ClientNotifications<S> {
  readonly #adapter: AbstractSocket;
  readonly #options: SocketClientOptions;
  readonly #reader: FrameReader<ServerEnvelope>;
  readonly #auth: AuthorizationStrategy;
  readonly #connectTimeout: number;
  readonly #logger: Logger;
  readonly #requests: ClientRequests;
  #state: ClientState = 'idle';
  #id: string | undefined;
  #connecting: Promise<void> | undefined;
  #attempt: ConnectionAttempt | undefined;
  #userClose = false;
  readonly #topics: ClientTopics;
  /** Holds frames back to `maxRate`; absent without one. */
  readonly #throttle: SendThrottle | undefined;
  /** Frames made while not open, sent first once open; absent when `messageQueueSize` is 0. */
  readonly #outbox: Outbox | undefined;
  /** Reconnects after a lost connection (idle when `reconnect` is off). */
  readonly #reconnect: ReconnectLoop;
  /** Pings the server while open; absent with `heartbeatInterval: Infinity`. */
  readonly #heartbeat: ClientHeartbeat | undefined;
  /** The protocol's `ping` and `pong` frames, encoded on first use. */
  #pingFrame: AnyFrame | undefined;
  #pongFrame: AnyFrame | undefined;
  readonly #counters = new ClientCounters();
  /** The principal id from the last welcome. */
  #user: string | undefined;
  /** Bytes the transport may hold before `send()` says to wait. */
  readonly #highWaterMark: number;
  /** Producers waiting in `drained()`. */
  readonly #drain = new DrainWatch(() => this.#isDrained());
  /** The session's resume state; absent with `resume: false`. */
  readonly #resume: ClientResume | undefined;
  /** What the last connect did to the session. */
  #outcome: ResumeOutcome | undefined;
  /**
   * True from an accepted welcome until the transport closes: frames of the session go on the
   * wire. Set as the welcome is read — before the connect promise settles — so that frames
   * arriving with the welcome already count in the session it opened.
   */
  #live = false;

  constructor(adapter: AbstractSocket, options: SocketClientOptions) {
    super();
    if (adapter === null || typeof adapter !== 'object' || typeof adapter.connect !== 'function') {
      throw new TypeError('SocketClient needs an AbstractSocket adapter');
    }
    if (options === null || typeof options !== 'object' || typeof options.url !== 'string') {
      throw new TypeError('SocketClient needs options with a url string');
    }
    this.#adapter = adapter;
    this.#options = options;
    this.#auth = options.authorization ?? new AllowAllAuthorization();
    this.#connectTimeout = positive(options.connectTimeout, 10_000, 'connectTimeout');
    this.#reader = createClientFrameReader({
      supports: adapter.supports,
      codec: options.codec,
      maxPayload: positive(options.maxPayload, 4 * 1024 * 1024, 'maxPayload'),
      owner: 'SocketClient',
    });
    this.#logger = options.logger ?? debugLogger('plugsocket:client');
    this.#requests = new ClientRequests(
      { send: (envelope) => this.#sendEnvelope(envelope), report: (error) => this.report(error) },
      positive(options.requestTimeout, 10_000, 'requestTimeout'),
      positive(options.maxRequestsInFlight, 256, 'maxRequestsInFlight'),
    );
    this.#topics = new ClientTopics(
      this.#requests,
      () => this.#state === 'open',
      () => this.#state === 'open' || this.#live,
      this.report,
    );
    this.#reconnect = new ReconnectLoop(
      {
        attempt: () => {
          const run = this.#open('reconnecting');
          this.#connecting = run.finally(() => (this.#connecting = undefined));
          this.#connecting.catch(() => undefined);
          return run;
        },
        userClosed: () => this.#userClose,
        scheduled: (attempt, delay) => {
          this.#setState('reconnecting');
          this.notifyReconnecting(attempt, delay);
        },
        reconnected: () => {
          if (this.#state !== 'open') return;
          this.#counters.reconnectionCount++;
          this.notifyReconnected(this.#outcome ?? { resumed: false, reason: 'disabled' });
        },
        gaveUp: (error) => {
          this.#setState('closed');
          // The requests it fails were perhaps run: a later connect must not resume that session.
          this.#resume?.ended();
          this.#throttle?.clear();
          this.#sessionLost();
          this.#dropOutbox();
          this.notifyReconnectFailed(error);
        },
      },
      reconnectSettings(options.reconnect, options.maxReconnectAttempts),
    );
    this.#outbox = createOutbox(options.messageQueueSize, options.queueOverflow, (id, error) =>
      this.#requests.answered(id, error, undefined),
    );
    this.#heartbeat = createClientHeartbeat(
      {
        transportPing: () => this.#adapter.ping(),
        protocolPing: () =>
          this.#state === 'open' &&
          this.#transportSend(
            (this.#pingFrame ??= this.#reader.codec.encode({ k: 'ping' })),
            SENT_CONTROL,
          ),
        dead: (error) => {
          this.report(error);
          this.#logger.debug('server heartbeat timeout', { clientId: this.#id });
          this.#adapter.terminate();
        },
      },
      options.heartbeatInterval,
      options.heartbeatTimeout,
    );
    this.#throttle =
      options.maxRate === undefined
        ? undefined
        : new SendThrottle(positive(options.maxRate, 0, 'maxRate'), (frame, tag) =>
            this.#transportSend(frame, tag as SentKind),
          );
    this.#highWaterMark = positive(options.highWaterMark, 1024 * 1024, 'highWaterMark');
    if (options.resume !== undefined && typeof options.resume !== 'boolean')
      throw new TypeError('resume must be a boolean');
    // Resuming is what a reconnect does: a client that never reconnects does not ask for it.
    this.#resume =
      options.resume === false || options.reconnect === false ? undefined : new ClientResume();
  }

  /** The transport this client runs on. */
  get adapter(): AbstractSocket {
    return this.#adapter;
  }

  /** @internal */
  protected get logger(): Logger {
    return this.#logger;
  }

  /** The current state. */
  get state(): ClientState {
    return this.#state;
  }

  /** True once the server has admitted this client, until it closes. */
  get isConnected(): boolean {
    return this.#state === 'open';
  }

  /** The id the server assigned in this session; undefined before the first welcome. */
  get id(): string | undefined {
    return this.#id;
  }

  /**
   * The topics this client is in. They survive a dropped connection and are joined again on the
   * next `connect()`; `disconnect()` forgets them.
   */
  get topics(): ReadonlySet<string> {
    return this.#topics.joined;
  }

  /**
   * Connects and resolves once the server has admitted this client, joining again the topics it
   * was in. Calling it while a connect is in progress returns the same promise; while connected
   * it resolves at once.
   * @throws {PlugSocketError} `CONNECTION_FAILED` (unreachable, refused, timed out),
   *   `AUTHENTICATION_FAILED` or `UNAUTHORIZED` (refused by the server's strategy).
   */
  connect(): Promise<void> {
    if (this.#state === 'open') return Promise.resolve();
    if (this.#connecting !== undefined) return this.#connecting;
    if (this.#state === 'closing') {
      return Promise.reject(new PlugSocketError('INVALID_STATE', 'connect() called while closing'));
    }
    this.#connecting = this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  /**
   * Closes the connection and resolves when it is closed. Idempotent. Forgets the topics and
   * completes the streams; a later `connect()` starts new ones.
   * @param code @default 1000
   * @param reason @default ''
   */
  async disconnect(code: number = CloseCodes.NORMAL, reason = ''): Promise<void> {
    assertValidClose(code, reason);
    this.#userClose = true;
    this.#reconnect.cancel();
    this.#attempt?.abort(
      new PlugSocketError('CONNECTION_FAILED', 'connect aborted by disconnect()'),
    );
    if (this.#state === 'open') this.#setState('closing');
    // No more probes: the close under way decides, within the transport's closeTimeout.
    this.#heartbeat?.stop();
    this.#counters.openedAt = -1;
    await this.#adapter.disconnect(code, reason);
    if (this.#connecting !== undefined) await this.#connecting.catch(() => undefined);
    this.#finishClose(undefined);
  }

  /**
   * Sends one message; while the client is not open (before `connect()`, connecting,
   * reconnecting) it waits in the offline queue and is sent first once open.
   * @throws {PlugSocketError} `NOT_CONNECTED` after `disconnect()` or once reconnecting gave up
   *   (or while not open with `messageQueueSize: 0`); `QUEUE_FULL` when the offline queue is full
   *   and `queueOverflow` is `reject`.
   * @throws {TypeError} for a bad type or headers.
   * @returns true when the message went to the transport and a producer may go on; false when it
   *   should wait for {@link drained}: the transport holds more than `highWaterMark` unsent,
   *   frames wait behind `maxRate`, or the message went to the offline queue. Nothing is dropped.
   */
  send(message: MessageOf<ClientMessages<S>>): boolean {
    const envelope = messageEnvelope(message);
    if (this.#state === 'open') {
      this.#write(this.#reader.codec.encode(envelope), SENT_MESSAGE);
      return this.writable;
    }
    if (!this.#queueing)
      throw new PlugSocketError('NOT_CONNECTED', `cannot send while ${this.#state}`);
    this.#outbox?.push(this.#reader.codec.encode(envelope), undefined);
    return false;
  }

  /**
   * True while a producer may send without waiting: the client is open and its transport holds
   * at most `highWaterMark` bytes unsent, with nothing held back by `maxRate`.
   */
  get writable(): boolean {
    return (
      this.#state === 'open' &&
      (this.#throttle === undefined || this.#throttle.queued === 0) &&
      this.#adapter.bufferedAmount <= this.#highWaterMark
    );
  }

  /**
   * Resolves once a producer may send again: the client is open and its transport holds at most
   * half of `highWaterMark` unsent (at once when it already does). While not open it waits for
   * the connection, reconnects included.
   * @throws {PlugSocketError} `NOT_CONNECTED` when the client closes for good first.
   */
  drained(): Promise<void> {
    if (this.#isDrained()) return Promise.resolve();
    if (this.#state === 'closed' || this.#state === 'closing' || this.#userClose) {
      return Promise.reject(
        new PlugSocketError('NOT_CONNECTED', `cannot wait for drain while ${this.#state}`),
      );
    }
    return this.#drain.wait();
  }

  #isDrained(): boolean {
    return (
      this.#state === 'open' &&
      (this.#throttle === undefined || this.#throttle.queued === 0) &&
      this.#adapter.bufferedAmount <= this.#highWaterMark / 2
    );
  }

  /** A snapshot of the connection: state, ids, heartbeat times and latency, reconnects. */
  getConnectionInfo(): ClientConnectionInfo {
    return connectionInfo({
      state: this.#state,
      id: this.#id,
      principal: this.#user,
      counters: this.#counters,
      heartbeat: this.#heartbeat,
      reconnectAttempts: this.#reconnect.attempt,
      bufferedAmount: this.#adapter.bufferedAmount,
      session: this.#outcome,
      unacknowledged: this.#resume?.kept ?? 0,
    });
  }

  /** The client's counters since it was made; see {@link ClientMetricsSnapshot}. */
  getMetrics(): ClientMetricsSnapshot {
    return metricsSnapshot(
      this.#counters,
      this.#heartbeat,
      this.#state === 'open',
      this.errorsReported,
      (this.#outbox?.size ?? 0) + (this.#throttle?.queued ?? 0),
    );
  }

  /** Frames made now wait in the offline queue: not open, but not closed for good either. */
  get #queueing(): boolean {
    const state = this.#state;
    return (
      this.#outbox !== undefined &&
      (state === 'idle' || state === 'connecting' || state === 'reconnecting')
    );
  }

  /** Shorthand for `send({ type, payload, headers })`; returns what `send` returns. */
  emit<K extends keyof ClientMessages<S> & string>(
    type: K,
    payload: ClientMessages<S>[K],
    headers?: Record<string, unknown>,
  ): boolean {
    return this.send(headers === undefined ? { type, payload } : { type, payload, headers });
  }

  /**
   * Calls `handler(payload, message)` for every message of `type` (as `events.on`).
   * @returns a function that removes this handler.
   */
  subscribe<K extends keyof ServerMessages<S> & string>(
    type: K,
    handler: (payload: ServerMessages<S>[K], message: SocketMessage<ServerMessages<S>[K]>) => void,
  ): Unsubscribe {
    this.events.on(type, handler);
    let subscribed = true;
    return () => {
      // Once only: a second call must not remove another registration of the same handler.
      if (!subscribed) return;
      subscribed = false;
      this.events.off(type, handler);
    };
  }

  /**
   * Calls the server's handler `name` and resolves with its result.
   * @throws {PlugSocketError} `HANDLER_NOT_FOUND`, `TIMEOUT`, `ABORTED`, `NOT_CONNECTED` (not
   *   connected, or the connection closed while waiting), `TOO_MANY_REQUESTS`, `UNAUTHORIZED`
   *   (refused by middleware), or the code a handler threw; `SERVER_ERROR` for anything else.
   */
  request<K extends HandlerName<ServerHandlers<S>>>(
    name: K,
    payload: PayloadOf<ServerHandlers<S>, K>,
    options: ClientRequestOptions = {},
  ): Promise<ResultOf<ServerHandlers<S>, K>> {
    return this.#call(name, payload, options, undefined) as Promise<ResultOf<ServerHandlers<S>, K>>;
  }

  /**
   * Calls handler `name` of another client, through the server: `target` is a client id, or
   * `{ user }` for the most recently connected client of that principal id.
   * @throws {PlugSocketError} `TARGET_OFFLINE`, `HANDLER_NOT_FOUND`, `TIMEOUT`, `UNAUTHORIZED`
   *   (the server's `canRequest` refused), and the errors of {@link request}.
   */
  requestClient<K extends HandlerName<ClientHandlers<S>>>(
    target: RequestTarget,
    name: K,
    payload: PayloadOf<ClientHandlers<S>, K>,
    options: ClientRequestOptions = {},
  ): Promise<ResultOf<ClientHandlers<S>, K>> {
    if (typeof target === 'string') assertName(target, 'target client id');
    else if (typeof target !== 'object' || target === null)
      throw new TypeError('target must be a client id or { user }');
    else assertName(target.user, 'target user');
    return this.#call(
      name,
      payload,
      options,
      typeof target === 'string' ? target : { user: target.user },
    ) as Promise<ResultOf<ClientHandlers<S>, K>>;
  }

  /**
   * Answers requests `name` from the server or from other clients with `handler(payload, ctx)`'s
   * result (which may be a promise). A `PlugSocketError` it throws crosses with its code.
   * @throws {Error} when `name` already has a handler.
   */
  handle<K extends HandlerName<ClientHandlers<S>>>(
    name: K,
    handler: (
      payload: PayloadOf<ClientHandlers<S>, K>,
      ctx: ClientHandlerContext,
    ) => ResultOf<ClientHandlers<S>, K> | Promise<ResultOf<ClientHandlers<S>, K>>,
  ): this {
    assertName(name, 'handler name');
    this.#requests.handle(name, handler as ClientRequestHandler);
    return this;
  }

  /** Removes the handler of `name`. @returns false if there was none. */
  removeHandler(name: string): boolean {
    return this.#requests.removeHandler(name);
  }

  /**
   * Asks the server to subscribe this client to `topic`.
   * @throws {PlugSocketError} `UNAUTHORIZED` when the server refuses, `TIMEOUT` when it does not
   *   answer in `requestTimeout`, `NOT_CONNECTED` when the connection closes first.
   */
  join(topic: string): Promise<void> {
    return this.#topics.join(topic);
  }

  /** Asks the server to remove this client from `topic`. Same errors as {@link join}. */
  leave(topic: string): Promise<void> {
    return this.#topics.leave(topic);
  }

  /**
   * Sends fresh credentials in-band, without reconnecting: `credentials`, or by default what the
   * strategy's `credentials()` returns. The server verifies them with its strategy and, on
   * success, replaces the principal and the credentials' expiry (so a connection whose token is
   * refreshed before it expires is not closed with 4419), and removes the client from topics the
   * new principal may not hold. Resolves with those topics (also gone from {@link topics}).
   * @throws {PlugSocketError} `AUTHENTICATION_FAILED` (the credentials were refused; the
   *   connection keeps its current ones until they expire), `UNAUTHORIZED` (they name another
   *   principal), `NOT_CONNECTED`, `TIMEOUT`.
   * @throws {TypeError} when there are no credentials to send, or they are not an object.
   */
  async refreshAuthorization(credentials?: Record<string, unknown>): Promise<{ left: string[] }> {
    if (this.#state !== 'open') {
      throw new PlugSocketError('NOT_CONNECTED', `cannot refresh credentials while ${this.#state}`);
    }
    const fresh = credentials ?? (await this.#auth.credentials?.());
    if (typeof fresh !== 'object' || fresh === null || Array.isArray(fresh)) {
      throw new TypeError(
        credentials === undefined && this.#auth.credentials === undefined
          ? 'refreshAuthorization() needs credentials: pass them, or use a strategy with credentials()'
          : 'credentials must be an object',
      );
    }
    const result = await this.#requests.auth(fresh);
    const raw = (result as { left?: unknown } | undefined)?.left;
    const left = Array.isArray(raw) ? raw.filter((t): t is string => typeof t === 'string') : [];
    this.#topics.left(left);
    return { left };
  }

  /** A view of this client whose names get the namespace's prefix: `ns('/chat').emit('say', …)`. */
  ns(path: string): ClientNamespace {
    return new ClientNamespace(this, namespacePrefix('', path));
  }

  // ---------------------------------------------------------------- internals

  #call(
    name: string,
    payload: unknown,
    options: ClientRequestOptions,
    to: RequestTarget | undefined,
  ): Promise<unknown> {
    // Not async: a request is the hot path, and each async wrapper is more promise jobs.
    try {
      assertName(name, 'request name');
      assertHeadersToSend(options.headers);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new TypeError(String(error)));
    }
    if (this.#state !== 'open' && !this.#queueing) {
      return Promise.reject(
        new PlugSocketError('NOT_CONNECTED', `cannot request "${name}" while ${this.#state}`),
      );
    }
    return this.#requests.request(name, payload, options, to);
  }

  #sendEnvelope(envelope: object): boolean {
    const k = (envelope as { k?: unknown }).k;
    // Answers and cancels of a welcomed connection go at once, even before `open` is announced.
    if (this.#live && (k === 'ack' || k === 'nack' || k === 'cancel')) {
      return this.#transportSend(this.#reader.codec.encode(envelope));
    }
    if (this.#state !== 'open') {
      const id = (envelope as { id?: unknown }).id as number;
      // A request given up before it left the offline queue is taken out.
      if (k === 'cancel' && this.#outbox?.remove(id) === true) return true;
      if (this.#resume?.active === true && (k === 'ack' || k === 'nack' || k === 'cancel')) {
        // An answer (or a cancel) in the session the client is resuming: sent on resume.
        this.#resume.sent(this.#reader.codec.encode(envelope));
        return true;
      }
      // A request made offline waits in the queue.
      if (!this.#queueing) return false;
      if (k === 'req') {
        this.#outbox?.push(this.#reader.codec.encode(envelope), id);
        return true;
      }
      return k === 'cancel';
    }
    const frame = this.#reader.codec.encode(envelope);
    // Answers and cancels are never held back: the other side is waiting on them.
    if (k === 'ack' || k === 'nack' || k === 'cancel') return this.#transportSend(frame);
    return this.#write(frame, k === 'req' ? SENT_REQUEST : SENT_OTHER);
  }

  /** Sends a frame the application originated, within `maxRate` when it is set. */
  #write(frame: AnyFrame, kind: SentKind): boolean {
    const throttle = this.#throttle;
    return throttle === undefined ? this.#transportSend(frame, kind) : throttle.send(frame, kind);
  }

  /**
   * Hands a frame to the transport, counted as `kind`. With a resumable session a stream frame is
   * also kept until the server acknowledges it: one the transport refuses (its connection is
   * going) is sent on resume, and counts as taken.
   */
  #transportSend(frame: AnyFrame, kind: SentKind = SENT_OTHER): boolean {
    const resume = this.#resume;
    if (kind !== SENT_CONTROL && resume?.active === true) {
      resume.sent(frame);
      if (!this.#live || !this.#adapter.send(frame)) return true;
    } else if (!this.#adapter.send(frame)) return false;
    const counters = this.#counters;
    counters.bytesSent += frameBytes(frame);
    if (kind === SENT_MESSAGE) counters.messagesSent++;
    else if (kind === SENT_REQUEST) counters.requestsSent++;
    return true;
  }

  async #connect(): Promise<void> {
    this.#userClose = false;
    // A connect the application makes starts a new session (or resumes one, while reconnecting).
    if (this.#state !== 'reconnecting') this.#outcome = undefined;
    this.#reconnect.cancel();
    this.renewStreams();
    this.#setState('connecting');
    await this.#open('closed');
  }

  /**
   * One connect attempt. On failure it leaves the transport closed, sets `failedState` and
   * throws; on success the client is open and its topics are being joined again.
   */
  async #open(failedState: ClientState): Promise<void> {
    const attempt = new ConnectionAttempt({
      adapter: this.#adapter,
      authorization: this.#auth,
      timeout: this.#connectTimeout,
      base: () => this.#connectOptions(),
      sendFirst: (envelope) =>
        this.#transportSend(this.#reader.codec.encode(envelope), SENT_CONTROL),
    });
    this.#attempt = attempt;
    this.#attach();
    try {
      await attempt.run();
    } catch (error) {
      this.#attempt = undefined;
      this.#live = false;
      this.#detach();
      // Leave the transport closed: gracefully when the user asked (disconnect() is closing it),
      // at once otherwise, so a dead server cannot make connect() outlive its timeout.
      if (this.#userClose) await this.#adapter.disconnect().catch(() => undefined);
      else this.#adapter.terminate();
      this.#setState(this.#userClose ? 'closed' : failedState);
      if (this.#state === 'closed') this.#dropOutbox();
      throw PlugSocketError.from(error, 'CONNECTION_FAILED');
    }
    this.#attempt = undefined;
    this.#id = attempt.id;
    this.#user = attempt.user;
    this.#counters.openedAt = Date.now();
    const outcome = this.#outcome ?? { resumed: false, reason: 'initial' };
    this.#setState('open', outcome);
    this.#heartbeat?.start();
    // A new session joins its topics again before anything else goes out: messages queued while
    // offline then reach a session that is back in its topics, and a leave() that an onOpen
    // handler sends reaches the server after the join it undoes, not before.
    if (attempt.closedAfterWelcome === undefined && !outcome.resumed) this.#topics.rejoin();
    this.#flushOutbox();
    this.notifyOpen();
    // The server may admit and close at once (e.g. kick on connect): report that close now.
    if (attempt.closedAfterWelcome !== undefined) this.#finishClose(attempt.closedAfterWelcome);
  }

  /** What a welcome means for the session, and what to send again. */
  #welcomed(welcome: WelcomeEnvelope): { outcome: ResumeOutcome; resend: AnyFrame[] } {
    const resume = this.#resume;
    if (resume !== undefined) return resume.welcomed(welcome);
    const first = this.#outcome === undefined;
    return {
      outcome: { resumed: false, reason: first ? 'initial' : 'disabled' },
      resend: [],
    };
  }

  /** Sends a kept frame again on resume (it stays kept until acknowledged). */
  #resend(frame: AnyFrame): void {
    if (!this.#adapter.send(frame)) return;
    this.#counters.bytesSent += frameBytes(frame);
  }

  /**
   * The session the client was in is over (a new one began, or the client closed): what it
   * waited for from the server fails with `NOT_CONNECTED` — but requests still in the offline
   * queue, which the server never saw, go on.
   */
  #sessionLost(): void {
    const queued = this.#outbox?.requestIds();
    this.#requests.connectionLost(queued);
  }

  /** Sends what waited in the offline queue, in order, before anything new. */
  #flushOutbox(): void {
    const outbox = this.#outbox;
    if (outbox === undefined || outbox.size === 0) return;
    for (const entry of outbox.take()) {
      // A request that timed out or was aborted while it waited is not sent.
      if (entry.id !== undefined && !this.#requests.isWaiting(entry.id)) continue;
      this.#write(entry.frame, entry.id === undefined ? SENT_MESSAGE : SENT_REQUEST);
    }
  }

  /** The client closed for good: what waits in the offline queue will never be sent. */
  #dropOutbox(): void {
    this.#drain.fail(
      new PlugSocketError('NOT_CONNECTED', 'the client closed before its transport drained'),
    );
    this.#outbox?.clear(
      new PlugSocketError('NOT_CONNECTED', 'the client closed before the frame could be sent'),
    );
  }

  #connectOptions(): ConnectOptions {
    const o = this.#options;
    // Resuming needs a transport that carries the query; elsewhere every connect is a new session.
    const resume = this.#adapter.supports.handshakeQuery ? this.#resume?.query() : undefined;
    const query = resume === undefined ? o.query : { ...o.query, ...resume };
    return {
      url: o.url,
      timeout: this.#connectTimeout,
      ...(o.headers && { headers: { ...o.headers } }),
      ...(query && { query: { ...query } }),
      ...(o.auth && { auth: { ...o.auth } }),
    };
  }

  #attach(): void {
    this.#adapter.on('message', this.#handleFrame);
    this.#adapter.on('close', this.#handleClose);
    this.#adapter.on('error', this.report);
    this.#adapter.on('pong', this.#handlePong);
  }

  #detach(): void {
    this.#adapter.off('message', this.#handleFrame);
    this.#adapter.off('close', this.#handleClose);
    this.#adapter.off('error', this.report);
    this.#adapter.off('pong', this.#handlePong);
  }

  readonly #handlePong = (): void => {
    this.#heartbeat?.pong();
  };

  readonly #handleFrame = (frame: AnyFrame): void => {
    this.#heartbeat?.heard();
    this.#counters.bytesReceived += frameBytes(frame);
    let envelope: ServerEnvelope;
    try {
      envelope = this.#reader.read(frame);
    } catch (error) {
      this.#took(undefined);
      const e = PlugSocketError.from(error, 'INVALID_MESSAGE');
      const requestId = (error as { requestId?: unknown }).requestId;
      if (typeof requestId === 'number')
        this.#sendEnvelope({ k: 'nack', id: requestId, error: e.toJSON() });
      this.report(e);
      return;
    }
    if (this.#resume?.active === true) this.#took(envelope.k);
    switch (envelope.k) {
      case 'msg': {
        this.#counters.messagesReceived++;
        const { type, payload, headers, from } = envelope;
        const message: SocketMessage = { type, payload };
        if (headers !== undefined) message.headers = headers;
        if (from !== undefined) message.from = from;
        this.deliver(message);
        return;
      }
      case 'welcome': {
        if (this.#attempt?.welcome(envelope) !== true) return;
        // The session switches now, before frames that came with the welcome are read; what
        // the server had not taken goes again at once, ahead of anything new.
        const { outcome, resend } = this.#welcomed(envelope);
        this.#outcome = outcome;
        // A new session after one that was not resumed: what waited on the old one fails now,
        // before anything of the new one (a request the server makes at once) can start.
        if (!outcome.resumed && outcome.reason !== 'initial') this.#sessionLost();
        this.#live = true;
        for (const frame of resend) this.#resend(frame);
        this.#throttle?.resume();
        return;
      }
      case 'ack':
        this.#requests.answered(envelope.id, undefined, envelope.result);
        return;
      case 'nack':
        this.#requests.answered(envelope.id, PlugSocketError.fromWire(envelope.error), undefined);
        return;
      case 'req':
        this.#requests.incoming(envelope);
        return;
      case 'cancel':
        this.#requests.cancelled(envelope.id);
        return;
      case 'error':
        this.report(PlugSocketError.fromWire(envelope.error));
        return;
      case 'ping':
        // While closing the server's ping goes unanswered: the close is what it will hear next.
        if (this.#state === 'open')
          this.#transportSend(
            (this.#pongFrame ??= this.#reader.codec.encode({ k: 'pong' })),
            SENT_CONTROL,
          );
        return;
      case 'pong':
        this.#heartbeat?.pong();
        return;
      case 'got':
        // How many of this client's stream frames the server has: no longer kept to resend.
        this.#resume?.acknowledged(envelope.n);
        return;
    }
  };

  /**
   * Counts a frame from the server that takes a position in its stream (all but `welcome`,
   * `ping`, `pong` and `got`; undefined for one that did not decode), acknowledging with `got`
   * every 32.
   */
  #took(kind: string | undefined): void {
    const resume = this.#resume;
    if (resume === undefined || !resume.active) return;
    if (!isStreamKind(kind)) return;
    const n = resume.took();
    if (n >= 0 && this.#live)
      this.#transportSend(this.#reader.codec.encode({ k: 'got', n }), SENT_CONTROL);
  }

  readonly #handleClose = (info: CloseInfo): void => {
    const attempt = this.#attempt;
    if (attempt === undefined) this.#finishClose(info);
    else attempt.closed(info);
  };

  #finishClose(info: CloseInfo | undefined): void {
    const wasOpen = this.#state === 'open' || this.#state === 'closing';
    this.#live = false;
    this.#detach();
    this.#heartbeat?.stop();
    this.#counters.openedAt = -1;
    const reconnect =
      !this.#userClose &&
      this.#state === 'open' &&
      info !== undefined &&
      this.#reconnect.after(info.code);
    const resume = this.#resume;
    // A close that ended the session on the server (a kick, a policy, credentials) leaves
    // nothing to resume: what waited on it fails now, not after the reconnect.
    if (reconnect && resume?.active === true && !endsSession(info.code)) {
      // The session may resume: what waits on it stays; what maxRate held waits too, and goes
      // out at the rate once the connection is back.
      this.#throttle?.pause();
    } else {
      this.#throttle?.clear();
      this.#requests.connectionLost();
      if (reconnect && resume?.active === true) resume.ended();
      else if (!reconnect) resume?.forget();
    }
    if (this.#userClose) this.#topics.forget();
    if (this.#state !== 'closed') this.#setState(reconnect ? 'reconnecting' : 'closed');
    if (this.#state === 'closed') this.#dropOutbox();
    // `info` is undefined only when called from disconnect() after the transport's own close
    // event has already been handled (the port emits `close` exactly once).
    if (wasOpen && info !== undefined) this.notifyClose(info);
    // Unless an onClose handler called connect() or disconnect() meanwhile.
    if (reconnect && this.#state === 'reconnecting') this.#reconnect.schedule(0);
    if (this.#userClose) this.completeStreams();
  }

  #setState(state: ClientState, outcome?: ResumeOutcome): void {
    if (this.#state === state) return;
    this.#state = state;
    this.stateChanged(state, outcome);
  }
}
