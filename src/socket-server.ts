import { Subject, type Observable } from 'rxjs';
import { BroadcastOperator } from './broadcast-operator.js';
import { ClientRecord, ClientRegistry, type ConnectedClient } from './client-registry.js';
import { PlugSocketError } from './errors.js';
import { randomId } from './random-id.js';
import { Listeners } from './listeners.js';
import { silentLogger, type Logger } from './logger.js';
import type { AnyMessageMap, MessageMap, MessageOf, SocketMessage } from './message.js';
import type { AbstractSocketServer, ServerConnection } from './ports/abstract-socket-server.js';
import {
  AllowAllAuthorization,
  type AuthorizationResult,
  type AuthorizationStrategy,
} from './ports/authorization-strategy.js';
import { CloseCodes } from './ports/close.js';
import type { Codec } from './ports/codec.js';
import type { AnyFrame, CloseInfo, Handshake, ListenAddress, Unsubscribe } from './ports/types.js';
import {
  assertHeadersToSend,
  parseClientEnvelope,
  PROTOCOL_VERSION,
  type ClientEnvelope,
} from './protocol/envelope.js';
import { chooseCodec } from './protocol/codec-choice.js';
import { exceedsBytes, frameSize } from './frame-size.js';

/** Options of {@link SocketServer}. */
export interface SocketServerOptions<P = unknown> {
  /** Decides who may connect. @default allow everyone ({@link AllowAllAuthorization}) */
  authorization?: AuthorizationStrategy<P>;
  /**
   * Frame format. @default `CompactCodec` on transports that declare `supports.structured`,
   * {@link JsonCodec} on the others
   */
  codec?: Codec;
  /**
   * Whether a client may join a topic it asked for with `client.join(topic)`. A refusal answers
   * the client with `UNAUTHORIZED`. Server-side `subscribe()` is not subject to it.
   * @default allow every topic
   */
  canSubscribe?: (client: ConnectedClient<P>, topic: string) => boolean | Promise<boolean>;
  /**
   * Largest frame accepted from a client, in bytes: UTF-8 for text, the JSON text of a structured
   * frame (see `docs/protocol.md`). A larger frame is dropped
   * and answered with a `PAYLOAD_TOO_LARGE` error frame; the connection stays open.
   * @default 1048576 (1 MiB)
   */
  maxPayload?: number;
  /**
   * Milliseconds the `AuthorizationStrategy` may take; after that the connection is closed with
   * 4408.
   * @default 10000
   */
  handshakeTimeout?: number;
  /**
   * Frames a client may send while it is still being authorised; more close it with 1008.
   * @default 100
   */
  maxPendingFrames?: number;
  /**
   * Makes client ids. Must return unique, non-empty strings.
   * @default 16 random base64url characters (96 bits)
   */
  generateId?: () => string;
  /** Diagnostics. @default silent */
  logger?: Logger;
}

/** A client message together with the id of its sender, as `message$` emits it. */
export interface ClientMessageEvent<In extends MessageMap = AnyMessageMap> {
  /** The sender's id. */
  readonly clientId: string;
  /** What it sent. */
  readonly message: MessageOf<In>;
}

/** A departed client, as `disconnection$` emits it. */
export interface DisconnectionEvent {
  /** The departed client's id. */
  readonly clientId: string;
  /** The close code (1006 when it vanished). */
  readonly code: number;
  /** The close reason. */
  readonly reason: string;
}

/** Options of {@link SocketServer.broadcast} and {@link SocketServer.sendToSubscribers}. */
export interface BroadcastOptions {
  /** A client id, or ids, that must not receive the message. */
  except?: string | Iterable<string>;
}

type ServerState = 'idle' | 'listening' | 'closing' | 'closed';

/**
 * The server: a registry of connected clients with server-assigned ids, topics (rooms),
 * broadcasts, and one wire protocol on top of any {@link AbstractSocketServer} transport.
 *
 * @typeParam In messages clients send (type → payload).
 * @typeParam Out messages the server sends.
 * @typeParam P the principal type produced by the authorization strategy.
 *
 * @example
 * ```ts
 * const server = new SocketServer(new WsSocketServer({ port: 8080 }));
 * server.onMessage((id, message) => server.to('lobby').except(id).emit('chat', message.payload));
 * await server.listen();
 * ```
 */
export class SocketServer<
  In extends MessageMap = AnyMessageMap,
  Out extends MessageMap = AnyMessageMap,
  P = unknown,
> {
  readonly #adapter: AbstractSocketServer;
  readonly #codec: Codec;
  /** The codec refuses structured frames over `maxPayload` itself, in its validating walk. */
  readonly #codecBoundsStructured: boolean;
  readonly #auth: AuthorizationStrategy<P>;
  readonly #canSubscribe: SocketServerOptions<P>['canSubscribe'];
  readonly #maxPayload: number;
  readonly #handshakeTimeout: number;
  readonly #maxPending: number;
  readonly #generateId: () => string;
  readonly #logger: Logger;
  readonly #registry = new ClientRegistry<P>();
  #state: ServerState = 'idle';
  #shutdown: Promise<void> | undefined;

  readonly #onConnection = new Listeners<(client: ConnectedClient<P>) => void>((e, [client]) =>
    this.#handlerFailed(client.id, e),
  );
  readonly #onDisconnection = new Listeners<(clientId: string, info: CloseInfo) => void>(
    (e, [id]) => this.#handlerFailed(id, e),
  );
  readonly #onMessage = new Listeners<(clientId: string, message: MessageOf<In>) => void>(
    (e, [id]) => this.#handlerFailed(id, e),
  );
  readonly #onError = new Listeners<(clientId: string | undefined, error: PlugSocketError) => void>(
    (e) => this.#logger.error('onError handler threw', { error: e }),
  );
  #connection$: Subject<ConnectedClient<P>> | undefined;
  #disconnection$: Subject<DisconnectionEvent> | undefined;
  #message$: Subject<ClientMessageEvent<In>> | undefined;

  constructor(adapter: AbstractSocketServer, options: SocketServerOptions<P> = {}) {
    if (adapter === null || typeof adapter !== 'object' || typeof adapter.listen !== 'function') {
      throw new TypeError('SocketServer needs an AbstractSocketServer adapter');
    }
    this.#adapter = adapter;
    this.#auth = options.authorization ?? (new AllowAllAuthorization() as AuthorizationStrategy<P>);
    this.#canSubscribe = options.canSubscribe;
    this.#maxPayload = options.maxPayload ?? 1024 * 1024;
    const choice = chooseCodec(adapter.supports, options.codec, 'SocketServer', this.#maxPayload);
    this.#codec = choice.codec;
    this.#codecBoundsStructured = choice.boundsStructured;
    this.#handshakeTimeout = options.handshakeTimeout ?? 10_000;
    this.#maxPending = options.maxPendingFrames ?? 100;
    this.#generateId = options.generateId ?? randomId;
    this.#logger = options.logger ?? silentLogger;
    adapter.on('connection', this.#handleConnection);
    adapter.on('message', this.#handleFrame);
    adapter.on('disconnect', this.#handleDisconnect);
    adapter.on('error', this.#handleTransportError);
  }

  /** The transport this server runs on. */
  get adapter(): AbstractSocketServer {
    return this.#adapter;
  }

  /** Starts accepting clients; resolves with the address (e.g. the bound port). */
  async listen(): Promise<ListenAddress> {
    if (this.#state !== 'idle')
      throw new PlugSocketError('INVALID_STATE', `listen() called while ${this.#state}`);
    this.#state = 'listening';
    return this.#adapter.listen();
  }

  /**
   * Closes every client with 1001 ("server shutting down"), stops the transport, completes the
   * observables and releases every listener. Resolves when all clients are gone. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#state = 'closing';
      try {
        await this.#adapter.close(CloseCodes.GOING_AWAY, 'server shutting down');
      } finally {
        this.#state = 'closed';
        this.#adapter.off('connection', this.#handleConnection);
        this.#adapter.off('message', this.#handleFrame);
        this.#adapter.off('disconnect', this.#handleDisconnect);
        this.#adapter.off('error', this.#handleTransportError);
        this.#connection$?.complete();
        this.#disconnection$?.complete();
        this.#message$?.complete();
      }
    })();
    return this.#shutdown;
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
   * Sends a message to one client.
   * @returns false when no such client is connected (an expected outcome, not an error).
   */
  sendToClient(clientId: string, message: MessageOf<Out>): boolean {
    const record = this.#registry.byId.get(clientId);
    if (record === undefined) return false;
    return this.#adapter.send(record.connection, this.#encodeMessage(message));
  }

  /** Closes one client's connection. Resolves when it is gone (at once if it is unknown). */
  disconnect(clientId: string, code: number = CloseCodes.NORMAL, reason = ''): Promise<void> {
    const record = this.#registry.byId.get(clientId);
    return record === undefined ? Promise.resolve() : record.connection.close(code, reason);
  }

  // ---------------------------------------------------------------- broadcast and topics

  /**
   * Sends a message to every admitted client (but those in `except`). The message is encoded
   * once, however many recipients there are.
   * @returns the number of clients it was handed to.
   */
  broadcast(message: MessageOf<Out>, options: BroadcastOptions = {}): number {
    return this.#deliver(undefined, options.except, message);
  }

  /** Subscribes a client to a topic. @returns false if the client is unknown or already in it. */
  subscribe(clientId: string, topic: string): boolean {
    assertTopic(topic);
    const record = this.#registry.byId.get(clientId);
    return record !== undefined && this.#registry.subscribe(record, topic);
  }

  /** Removes a client from a topic. @returns false if it was not in it. */
  unsubscribe(clientId: string, topic: string): boolean {
    const record = this.#registry.byId.get(clientId);
    return record !== undefined && this.#registry.unsubscribe(record, topic);
  }

  /** Sends a message to every subscriber of `topic` (but those in `except`); encoded once. */
  sendToSubscribers(
    topic: string,
    message: MessageOf<Out>,
    options: BroadcastOptions = {},
  ): number {
    return this.#deliver([topic], options.except, message);
  }

  /** The topics that have at least one subscriber. */
  getTopics(): string[] {
    return [...this.#registry.topics.keys()];
  }

  /** The ids of a topic's subscribers. */
  getSubscribers(topic: string): string[] {
    const members = this.#registry.topics.get(topic);
    return members === undefined ? [] : [...members].map((r) => r.id);
  }

  /**
   * Starts a fluent broadcast to one or more topics: `server.to('a').except(id).emit(type, payload)`.
   * Each step returns a new operator, so a partial chain can be kept and reused.
   */
  to(topic: string | readonly string[]): BroadcastOperator<Out> {
    return new BroadcastOperator<Out>(
      this.#deliverFn,
      typeof topic === 'string' ? [topic] : [...topic],
      [],
    );
  }

  /** A fluent broadcast to everyone but the given client(s). */
  except(clientId: string | readonly string[]): BroadcastOperator<Out> {
    return new BroadcastOperator<Out>(
      this.#deliverFn,
      undefined,
      typeof clientId === 'string' ? [clientId] : [...clientId],
    );
  }

  // ---------------------------------------------------------------- callbacks and streams

  /** Called when a client has been admitted (after authorization). */
  onConnection(handler: (client: ConnectedClient<P>) => void): Unsubscribe {
    return this.#onConnection.add(handler);
  }

  /** Called when an admitted client has gone, with the close code and reason. */
  onDisconnection(handler: (clientId: string, info: CloseInfo) => void): Unsubscribe {
    return this.#onDisconnection.add(handler);
  }

  /** Called for every application message from an admitted client. */
  onMessage(handler: (clientId: string, message: MessageOf<In>) => void): Unsubscribe {
    return this.#onMessage.add(handler);
  }

  /**
   * Called for errors: frames a client got wrong (`INVALID_MESSAGE`, `PAYLOAD_TOO_LARGE`), handlers
   * that threw (`SERVER_ERROR`), transport failures. `clientId` is undefined for server-wide ones.
   */
  onError(handler: (clientId: string | undefined, error: PlugSocketError) => void): Unsubscribe {
    return this.#onError.add(handler);
  }

  /** Admitted clients, as a stream. Completes on shutdown. */
  get connection$(): Observable<ConnectedClient<P>> {
    return (this.#connection$ ??= this.#subject<ConnectedClient<P>>()).asObservable();
  }

  /** Departed clients, as a stream. Completes on shutdown. */
  get disconnection$(): Observable<DisconnectionEvent> {
    return (this.#disconnection$ ??= this.#subject<DisconnectionEvent>()).asObservable();
  }

  /**
   * Client messages, as a stream. Completes on shutdown. An observer that throws is reported by
   * rxjs (its `config.onUnhandledError`), not by {@link onError}: handlers that may throw belong in
   * {@link onMessage}, which isolates them.
   */
  get message$(): Observable<ClientMessageEvent<In>> {
    return (this.#message$ ??= this.#subject<ClientMessageEvent<In>>()).asObservable();
  }

  // ---------------------------------------------------------------- internals: delivery

  readonly #deliverFn = (
    topics: readonly string[] | undefined,
    except: readonly string[] | undefined,
    message: SocketMessage,
  ): number =>
    this.#deliver(
      topics,
      except !== undefined && except.length === 1 ? except[0] : except,
      message,
    );

  #deliver(
    topics: readonly string[] | undefined,
    except: Iterable<string> | string | undefined,
    message: SocketMessage,
  ): number {
    const single = typeof except === 'string' ? except : undefined;
    const excluded = except === undefined || single !== undefined ? undefined : new Set(except);
    const adapter = this.#adapter;
    let recipients: Iterable<ClientRecord<P>>;
    if (topics === undefined) recipients = this.#registry.byId.values();
    else if (topics.length === 1) {
      const members = this.#registry.topics.get(topics[0]);
      if (members === undefined) return 0;
      recipients = members;
    } else {
      const union = new Set<ClientRecord<P>>();
      for (const topic of topics) {
        const members = this.#registry.topics.get(topic);
        if (members !== undefined) for (const record of members) union.add(record);
      }
      recipients = union;
    }
    const connections: ServerConnection[] = [];
    for (const record of recipients) {
      if (record.id === single || (excluded !== undefined && excluded.has(record.id))) continue;
      connections.push(record.connection);
    }
    if (connections.length === 0) return 0;
    return adapter.sendMany(connections, this.#encodeMessage(message));
  }

  #encodeMessage(message: SocketMessage): AnyFrame {
    if (typeof message !== 'object' || message === null)
      throw new TypeError('message must be an object');
    assertType(message.type);
    assertHeadersToSend(message.headers);
    return this.#codec.encode(
      message.headers === undefined
        ? { k: 'msg', type: message.type, payload: message.payload }
        : { k: 'msg', type: message.type, payload: message.payload, headers: message.headers },
    );
  }

  #sendControl(record: ClientRecord<P>, envelope: object): void {
    this.#adapter.send(record.connection, this.#codec.encode(envelope));
  }

  // ---------------------------------------------------------------- internals: transport events

  readonly #handleConnection = (connection: ServerConnection, handshake: Handshake): void => {
    let id: string;
    try {
      id = this.#newId();
    } catch (error) {
      this.#report(undefined, PlugSocketError.from(error));
      void connection.close(CloseCodes.INTERNAL_ERROR, 'could not assign a client id');
      return;
    }
    const record = new ClientRecord<P>(id, connection, handshake);
    this.#registry.byConnection.set(connection, record);
    let verdict: AuthorizationResult<P> | Promise<AuthorizationResult<P>>;
    try {
      verdict = this.#auth.authorize(handshake);
    } catch (error) {
      this.#authorizeFailed(record, error);
      return;
    }
    if (!isPromiseLike(verdict)) {
      this.#admitSafely(record, verdict);
      return;
    }
    record.pending = [];
    record.authTimer = setTimeout(() => {
      if (record.status !== 'authorizing') return;
      record.status = 'gone';
      void connection.close(CloseCodes.HANDSHAKE_TIMEOUT, 'authorization timed out');
    }, this.#handshakeTimeout);
    verdict.then(
      (result) => {
        clearTimeout(record.authTimer);
        this.#admitSafely(record, result);
      },
      (error: unknown) => {
        clearTimeout(record.authTimer);
        this.#authorizeFailed(record, error);
      },
    );
  };

  /** Admits or refuses; anything that throws in doing so closes the connection with 1011. */
  #admitSafely(record: ClientRecord<P>, result: AuthorizationResult<P>): void {
    try {
      this.#admit(record, result);
    } catch (error) {
      record.status = 'gone';
      this.#report(record.id, PlugSocketError.from(error));
      void record.connection
        .close(CloseCodes.INTERNAL_ERROR, 'could not admit the client')
        .catch(() => undefined);
    }
  }

  #admit(record: ClientRecord<P>, result: AuthorizationResult<P>): void {
    if (record.status !== 'authorizing' || !record.connection.isOpen) return;
    if (typeof result !== 'object' || result === null || typeof result.ok !== 'boolean') {
      this.#authorizeFailed(
        record,
        new TypeError('authorize() must return { ok: true, principal } or { ok: false, reason }'),
      );
      return;
    }
    if (!result.ok) {
      record.status = 'gone';
      const unauthorized = result.code === 'UNAUTHORIZED';
      this.#logger.debug('connection refused', { code: result.code, reason: result.reason });
      void record.connection.close(
        unauthorized ? CloseCodes.UNAUTHORIZED : CloseCodes.AUTHENTICATION_FAILED,
        truncateReason(String(result.reason ?? '')),
      );
      return;
    }
    record.principal = result.principal;
    record.status = 'open';
    this.#registry.byId.set(record.id, record);
    this.#sendControl(record, { k: 'welcome', v: PROTOCOL_VERSION, id: record.id });
    this.#onConnection.call(record);
    this.#connection$?.next(record);
    const pending = record.pending;
    record.pending = undefined;
    if (pending !== undefined)
      for (const frame of pending) if (record.status === 'open') this.#process(record, frame);
  }

  #authorizeFailed(record: ClientRecord<P>, error: unknown): void {
    if (record.status !== 'authorizing') return;
    record.status = 'gone';
    this.#report(
      undefined,
      new PlugSocketError('SERVER_ERROR', 'authorization strategy failed', { cause: error }),
    );
    void record.connection.close(CloseCodes.INTERNAL_ERROR, 'authorization failed');
  }

  readonly #handleFrame = (connection: ServerConnection, frame: AnyFrame): void => {
    const record = this.#registry.byConnection.get(connection);
    if (record === undefined) return;
    if (record.status === 'open') {
      this.#process(record, frame);
    } else if (record.status === 'authorizing' && record.pending !== undefined) {
      // Held in memory for an unauthenticated peer, so bounded in count and in bytes.
      record.pendingBytes += frameSize(frame, this.#maxPayload);
      if (record.pending.length >= this.#maxPending || record.pendingBytes > this.#maxPayload) {
        record.status = 'gone';
        record.pending = undefined;
        void connection.close(CloseCodes.POLICY_VIOLATION, 'too much data before authorization');
      } else record.pending.push(frame);
    }
  };

  #process(record: ClientRecord<P>, frame: AnyFrame): void {
    // A structured frame is measured by the codec's own walk when it bounds them (the default).
    if (
      !(this.#codecBoundsStructured && Array.isArray(frame)) &&
      exceedsBytes(frame, this.#maxPayload)
    ) {
      this.#reject(
        record,
        new PlugSocketError('PAYLOAD_TOO_LARGE', `frame exceeds ${this.#maxPayload} bytes`),
      );
      return;
    }
    let envelope: ClientEnvelope;
    try {
      envelope = parseClientEnvelope(this.#codec.decode(frame));
    } catch (error) {
      this.#reject(record, PlugSocketError.from(error, 'INVALID_MESSAGE'));
      return;
    }
    switch (envelope.k) {
      case 'msg': {
        const message = (
          envelope.headers === undefined
            ? { type: envelope.type, payload: envelope.payload }
            : { type: envelope.type, payload: envelope.payload, headers: envelope.headers }
        ) as MessageOf<In>;
        if (this.#onMessage.size > 0) this.#onMessage.call(record.id, message);
        this.#message$?.next({ clientId: record.id, message });
        return;
      }
      case 'join':
        this.#join(record, envelope.id, envelope.topic);
        return;
      case 'leave':
        this.#registry.unsubscribe(record, envelope.topic);
        this.#sendControl(record, { k: 'ack', id: envelope.id });
        return;
    }
  }

  #join(record: ClientRecord<P>, requestId: number, topic: string): void {
    const answer = (allowed: boolean): void => {
      if (record.status !== 'open') return;
      if (allowed) {
        this.#registry.subscribe(record, topic);
        this.#sendControl(record, { k: 'ack', id: requestId });
      } else {
        this.#sendControl(record, {
          k: 'nack',
          id: requestId,
          error: { code: 'UNAUTHORIZED', message: `may not join topic ${JSON.stringify(topic)}` },
        });
      }
    };
    const failed = (error: unknown): void => {
      this.#report(
        record.id,
        new PlugSocketError('SERVER_ERROR', 'canSubscribe threw', { cause: error }),
      );
      if (record.status === 'open') {
        this.#sendControl(record, {
          k: 'nack',
          id: requestId,
          error: { code: 'SERVER_ERROR', message: 'could not join topic' },
        });
      }
    };
    if (this.#canSubscribe === undefined) return answer(true);
    try {
      const verdict = this.#canSubscribe(record, topic);
      if (isPromiseLike(verdict)) verdict.then((v) => answer(v === true), failed);
      else answer(verdict === true);
    } catch (error) {
      failed(error);
    }
  }

  #reject(record: ClientRecord<P>, error: PlugSocketError): void {
    this.#sendControl(record, { k: 'error', error: error.toJSON() });
    this.#report(record.id, error);
  }

  readonly #handleDisconnect = (connection: ServerConnection, info: CloseInfo): void => {
    const record = this.#registry.byConnection.get(connection);
    if (record === undefined) return;
    const wasOpen = record.status === 'open';
    clearTimeout(record.authTimer);
    record.status = 'gone';
    record.pending = undefined;
    this.#registry.remove(record);
    if (!wasOpen) return;
    this.#onDisconnection.call(record.id, info);
    this.#disconnection$?.next({ clientId: record.id, code: info.code, reason: info.reason });
  };

  readonly #handleTransportError = (
    connection: ServerConnection | undefined,
    error: PlugSocketError,
  ): void => {
    const record =
      connection === undefined ? undefined : this.#registry.byConnection.get(connection);
    this.#report(record?.id, error);
  };

  #report(clientId: string | undefined, error: PlugSocketError): void {
    this.#logger.debug('error', { clientId, code: error.code, message: error.message });
    this.#onError.call(clientId, error);
  }

  #handlerFailed(clientId: string | undefined, error: unknown): void {
    this.#report(
      clientId,
      new PlugSocketError('SERVER_ERROR', 'a handler threw', { cause: error }),
    );
  }

  #newId(): string {
    for (let attempt = 0; attempt < 10; attempt++) {
      const id = this.#generateId();
      if (typeof id === 'string' && id !== '' && !this.#registry.byId.has(id)) return id;
    }
    throw new PlugSocketError(
      'SERVER_ERROR',
      'generateId() did not return a fresh non-empty string',
    );
  }

  #subject<T>(): Subject<T> {
    const subject = new Subject<T>();
    if (this.#state === 'closed') subject.complete();
    return subject;
  }
}

function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function assertType(type: unknown): asserts type is string {
  if (typeof type !== 'string' || type.length === 0 || type.length > 256) {
    throw new TypeError('message type must be a string of 1–256 characters');
  }
}

function assertTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > 256) {
    throw new TypeError('topic must be a string of 1–256 characters');
  }
}

const encoder = new TextEncoder();
/** Close reasons are limited to 123 bytes; cut long ones on a character boundary. */
function truncateReason(reason: string): string {
  if (encoder.encode(reason).byteLength <= 123) return reason;
  let out = reason.slice(0, 123);
  while (encoder.encode(out).byteLength > 120) out = out.slice(0, -1);
  return `${out}…`;
}
