import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import { PlugSocketError } from './errors.js';
import { Listeners } from './listeners.js';
import { silentLogger, type Logger } from './logger.js';
import type { AnyMessageMap, MessageMap, MessageOf, SocketMessage } from './message.js';
import type { AbstractSocket } from './ports/abstract-socket.js';
import {
  AllowAllAuthorization,
  type AuthorizationStrategy,
} from './ports/authorization-strategy.js';
import { assertValidClose, CloseCodes } from './ports/close.js';
import type { Codec } from './ports/codec.js';
import type { AnyFrame, CloseInfo, ConnectOptions, Unsubscribe } from './ports/types.js';
import {
  assertHeadersToSend,
  parseServerEnvelope,
  PROTOCOL_VERSION,
  type ServerEnvelope,
} from './protocol/envelope.js';
import { chooseCodec } from './protocol/codec-choice.js';
import { exceedsBytes } from './frame-size.js';

/** Life cycle of a {@link SocketClient}. */
export type ClientState = 'idle' | 'connecting' | 'open' | 'closing' | 'closed';

/** Options of {@link SocketClient}. */
export interface SocketClientOptions {
  /** Where the server listens, in the transport's scheme (`ws://…`, `http://…`, `memory://…`). */
  url: string;
  /** Extra handshake headers. */
  headers?: Record<string, string>;
  /** Extra query parameters. */
  query?: Record<string, string>;
  /** Credentials sent with the handshake (strategies may add to them). */
  auth?: Record<string, unknown>;
  /** Adds credentials on every connect. @default none ({@link AllowAllAuthorization}) */
  authorization?: AuthorizationStrategy;
  /**
   * Frame format. @default `CompactCodec` on transports that declare `supports.structured`,
   * {@link JsonCodec} on the others. Both read text frames, so either side may differ.
   */
  codec?: Codec;
  /**
   * Milliseconds for the whole connect: transport handshake, authorization and the server's
   * welcome. After that `connect()` rejects with `CONNECTION_FAILED`.
   * @default 10000
   */
  connectTimeout?: number;
  /** Milliseconds `join`/`leave` wait for the server's answer before failing with `TIMEOUT`. @default 10000 */
  requestTimeout?: number;
  /** Largest frame accepted from the server, in bytes. @default 16777216 (16 MiB) */
  maxPayload?: number;
  /** Diagnostics. @default silent */
  logger?: Logger;
}

interface PendingRequest {
  resolve: () => void;
  reject: (error: PlugSocketError) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface Attempt {
  welcomed: boolean;
  closedAfterWelcome: CloseInfo | undefined;
  resolveWelcome: () => void;
  rejectWelcome: (error: PlugSocketError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The client: connects to a {@link SocketServer} over any {@link AbstractSocket} transport, sends
 * and receives typed messages, and joins topics.
 *
 * @typeParam In messages the server sends (type → payload).
 * @typeParam Out messages this client sends.
 *
 * @example
 * ```ts
 * const client = new SocketClient(new WsSocket(), { url: 'ws://127.0.0.1:8080' });
 * client.subscribe('chat', (payload) => render(payload));
 * await client.connect();
 * await client.join('lobby');
 * client.emit('say', { text: 'hello' });
 * ```
 */
export class SocketClient<
  In extends MessageMap = AnyMessageMap,
  Out extends MessageMap = AnyMessageMap,
> {
  readonly #adapter: AbstractSocket;
  readonly #options: SocketClientOptions;
  readonly #codec: Codec;
  /** The codec refuses structured frames over `maxPayload` itself, in its validating walk. */
  readonly #codecBoundsStructured: boolean;
  readonly #auth: AuthorizationStrategy;
  readonly #connectTimeout: number;
  readonly #requestTimeout: number;
  readonly #maxPayload: number;
  readonly #logger: Logger;
  #state: ClientState = 'idle';
  #id: string | undefined;
  #connecting: Promise<void> | undefined;
  #attempt: Attempt | undefined;
  #userClose = false;
  #nextRequestId = 1;
  readonly #requests = new Map<number, PendingRequest>();
  readonly #topics = new Set<string>();
  readonly #handlers = new Map<string, Listeners<(payload: never, message: never) => void>>();

  readonly #onOpen = new Listeners<() => void>((e) => this.#handlerFailed(e));
  readonly #onClose = new Listeners<(info: CloseInfo) => void>((e) => this.#handlerFailed(e));
  readonly #onMessage = new Listeners<(message: MessageOf<In>) => void>((e) =>
    this.#handlerFailed(e),
  );
  readonly #onError = new Listeners<(error: PlugSocketError) => void>((e) =>
    this.#logger.error('onError handler threw', { error: e }),
  );
  #state$ = new BehaviorSubject<ClientState>('idle');
  #message$ = new Subject<MessageOf<In>>();

  constructor(adapter: AbstractSocket, options: SocketClientOptions) {
    if (adapter === null || typeof adapter !== 'object' || typeof adapter.connect !== 'function') {
      throw new TypeError('SocketClient needs an AbstractSocket adapter');
    }
    if (options === null || typeof options !== 'object' || typeof options.url !== 'string') {
      throw new TypeError('SocketClient needs options with a url string');
    }
    this.#adapter = adapter;
    this.#options = options;
    this.#auth = options.authorization ?? new AllowAllAuthorization();
    this.#connectTimeout = options.connectTimeout ?? 10_000;
    this.#requestTimeout = options.requestTimeout ?? 10_000;
    this.#maxPayload = options.maxPayload ?? 16 * 1024 * 1024;
    const choice = chooseCodec(adapter.supports, options.codec, 'SocketClient', this.#maxPayload);
    this.#codec = choice.codec;
    this.#codecBoundsStructured = choice.boundsStructured;
    this.#logger = options.logger ?? silentLogger;
  }

  /** The transport this client runs on. */
  get adapter(): AbstractSocket {
    return this.#adapter;
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

  /** The topics joined in this session. */
  get topics(): ReadonlySet<string> {
    return this.#topics;
  }

  /** The state, as a stream that replays the current value. Completes after `disconnect()`. */
  get state$(): Observable<ClientState> {
    return this.#state$.asObservable();
  }

  /**
   * Every application message, as a stream. Completes after `disconnect()`. An observer that
   * throws is reported by rxjs, not by {@link onError}; use {@link subscribe} or
   * {@link onMessage} for handlers that may throw.
   */
  get message$(): Observable<MessageOf<In>> {
    return this.#message$.asObservable();
  }

  /**
   * Connects and resolves once the server has admitted this client. Calling it while a connect is
   * in progress returns the same promise; while connected it resolves at once.
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
   * Closes the connection and resolves when it is closed. Idempotent. Completes `state$` and
   * `message$`; a later `connect()` starts new streams.
   * @param code @default 1000
   * @param reason @default ''
   */
  async disconnect(code: number = CloseCodes.NORMAL, reason = ''): Promise<void> {
    assertValidClose(code, reason);
    this.#userClose = true;
    const attempt = this.#attempt;
    if (attempt !== undefined)
      attempt.rejectWelcome(
        new PlugSocketError('CONNECTION_FAILED', 'connect aborted by disconnect()'),
      );
    if (this.#state === 'open') this.#setState('closing');
    await this.#adapter.disconnect(code, reason);
    if (this.#connecting !== undefined) await this.#connecting.catch(() => undefined);
    this.#finishClose(undefined);
  }

  /**
   * Sends one message.
   * @throws {PlugSocketError} `NOT_CONNECTED` when the client is not connected.
   * @throws {TypeError} when `type` is not a string of 1–256 characters, or `headers` is not an
   *   object.
   */
  send(message: MessageOf<Out>): void {
    const m = message as SocketMessage;
    if (typeof m !== 'object' || m === null) throw new TypeError('message must be an object');
    if (typeof m.type !== 'string' || m.type.length === 0 || m.type.length > 256) {
      throw new TypeError('message type must be a string of 1–256 characters');
    }
    assertHeadersToSend(m.headers);
    if (this.#state !== 'open')
      throw new PlugSocketError('NOT_CONNECTED', `cannot send while ${this.#state}`);
    const envelope =
      m.headers === undefined
        ? { k: 'msg', type: m.type, payload: m.payload }
        : { k: 'msg', type: m.type, payload: m.payload, headers: m.headers };
    this.#adapter.send(this.#codec.encode(envelope));
  }

  /** Shorthand for `send({ type, payload, headers })`. */
  emit<K extends keyof Out & string>(
    type: K,
    payload: Out[K],
    headers?: Record<string, unknown>,
  ): void {
    this.send(headers === undefined ? { type, payload } : { type, payload, headers });
  }

  /**
   * Calls `handler` for every message of `type`. Many handlers may share a type.
   * @returns a function that removes this handler.
   */
  subscribe<K extends keyof In & string>(
    type: K,
    handler: (payload: In[K], message: SocketMessage<In[K]>) => void,
  ): Unsubscribe {
    let list = this.#handlers.get(type);
    if (list === undefined)
      this.#handlers.set(type, (list = new Listeners((e) => this.#handlerFailed(e))));
    const remove = list.add(handler);
    return () => {
      remove();
      if (list.size === 0 && this.#handlers.get(type) === list) this.#handlers.delete(type);
    };
  }

  /**
   * Asks the server to subscribe this client to `topic`.
   * @throws {PlugSocketError} `UNAUTHORIZED` when the server refuses, `TIMEOUT` when it does not
   *   answer in `requestTimeout`, `NOT_CONNECTED` when the connection closes first.
   */
  async join(topic: string): Promise<void> {
    await this.#request('join', topic);
    // The answer and a close may arrive together: a closed session keeps no topics.
    if (this.#state === 'open') this.#topics.add(topic);
  }

  /** Asks the server to remove this client from `topic`. Same errors as {@link join}. */
  async leave(topic: string): Promise<void> {
    await this.#request('leave', topic);
    this.#topics.delete(topic);
  }

  /** Called when the server has admitted this client. */
  onOpen(handler: () => void): Unsubscribe {
    return this.#onOpen.add(handler);
  }

  /** Called when an admitted connection has closed, with the code and reason. */
  onClose(handler: (info: CloseInfo) => void): Unsubscribe {
    return this.#onClose.add(handler);
  }

  /** Called for every application message, after the per-type handlers. */
  onMessage(handler: (message: MessageOf<In>) => void): Unsubscribe {
    return this.#onMessage.add(handler);
  }

  /** Called for errors the server reported and frames this client could not read. */
  onError(handler: (error: PlugSocketError) => void): Unsubscribe {
    return this.#onError.add(handler);
  }

  // ---------------------------------------------------------------- internals

  async #connect(): Promise<void> {
    this.#userClose = false;
    if (this.#state$.closed || this.#state$.isStopped)
      this.#state$ = new BehaviorSubject<ClientState>(this.#state);
    if (this.#message$.closed || this.#message$.isStopped)
      this.#message$ = new Subject<MessageOf<In>>();
    this.#setState('connecting');
    // One attempt: `welcomed` settles when the server admits us, or rejects on timeout, abort
    // (disconnect()) or a close. Every await below races it, so nothing outlives the timeout.
    let attempt!: Attempt;
    const welcomed = new Promise<void>((resolve, reject) => {
      attempt = {
        welcomed: false,
        closedAfterWelcome: undefined,
        resolveWelcome: () => {
          attempt.welcomed = true;
          resolve();
        },
        rejectWelcome: reject,
        timer: setTimeout(
          () =>
            reject(
              new PlugSocketError(
                'CONNECTION_FAILED',
                `connect timed out after ${this.#connectTimeout} ms`,
              ),
            ),
          this.#connectTimeout,
        ),
      };
    });
    this.#attempt = attempt;
    welcomed.catch(() => undefined);
    this.#attach();
    try {
      const base: ConnectOptions = {
        url: this.#options.url,
        timeout: this.#connectTimeout,
        ...(this.#options.headers && { headers: { ...this.#options.headers } }),
        ...(this.#options.query && { query: { ...this.#options.query } }),
        ...(this.#options.auth && { auth: { ...this.#options.auth } }),
      };
      const options = await Promise.race([
        this.#auth.applyAuthorization(base),
        welcomed.then(() => base),
      ]);
      await Promise.race([this.#adapter.connect(options), welcomed]);
      await welcomed;
    } catch (error) {
      this.#endAttempt();
      this.#detach();
      // Whatever stage the transport reached (idle, connecting, open), leave it closed: gracefully
      // when the user asked (disconnect() is closing it already), at once otherwise, so that a
      // dead server cannot make connect() outlive its timeout by the close timeout.
      if (this.#userClose) await this.#adapter.disconnect().catch(() => undefined);
      else this.#adapter.terminate();
      this.#setState('closed');
      throw PlugSocketError.from(error, 'CONNECTION_FAILED');
    }
    this.#endAttempt();
    this.#setState('open');
    this.#onOpen.call();
    // The server may admit and close at once (e.g. kick on connect): report that close now.
    if (attempt.closedAfterWelcome !== undefined) this.#finishClose(attempt.closedAfterWelcome);
  }

  #endAttempt(): void {
    if (this.#attempt !== undefined) clearTimeout(this.#attempt.timer);
    this.#attempt = undefined;
  }

  #attach(): void {
    this.#adapter.on('message', this.#handleFrame);
    this.#adapter.on('close', this.#handleClose);
    this.#adapter.on('error', this.#handleError);
  }

  #detach(): void {
    this.#adapter.off('message', this.#handleFrame);
    this.#adapter.off('close', this.#handleClose);
    this.#adapter.off('error', this.#handleError);
  }

  readonly #handleFrame = (frame: AnyFrame): void => {
    // A structured frame is measured by the codec's own walk when it bounds them (the default).
    if (
      !(this.#codecBoundsStructured && Array.isArray(frame)) &&
      exceedsBytes(frame, this.#maxPayload)
    ) {
      this.#report(
        new PlugSocketError('PAYLOAD_TOO_LARGE', `frame exceeds ${this.#maxPayload} bytes`),
      );
      return;
    }
    let envelope: ServerEnvelope;
    try {
      envelope = parseServerEnvelope(this.#codec.decode(frame));
    } catch (error) {
      this.#report(PlugSocketError.from(error, 'INVALID_MESSAGE'));
      return;
    }
    switch (envelope.k) {
      case 'msg': {
        const message: SocketMessage =
          envelope.headers === undefined
            ? { type: envelope.type, payload: envelope.payload }
            : { type: envelope.type, payload: envelope.payload, headers: envelope.headers };
        const list = this.#handlers.get(envelope.type);
        if (list !== undefined) list.call(envelope.payload as never, message as never);
        if (this.#onMessage.size > 0) this.#onMessage.call(message as MessageOf<In>);
        this.#message$.next(message as MessageOf<In>);
        return;
      }
      case 'welcome': {
        const attempt = this.#attempt;
        if (attempt === undefined) return;
        if (envelope.v !== PROTOCOL_VERSION) {
          attempt.rejectWelcome(
            new PlugSocketError(
              'CONNECTION_FAILED',
              `server speaks protocol v${envelope.v}, this client v${PROTOCOL_VERSION}`,
            ),
          );
          void this.#adapter
            .disconnect(CloseCodes.PROTOCOL_VERSION, 'unsupported protocol version')
            .catch(() => undefined);
          return;
        }
        this.#id = envelope.id;
        attempt.resolveWelcome();
        return;
      }
      case 'ack':
      case 'nack': {
        const pending = this.#requests.get(envelope.id);
        if (pending === undefined) return;
        this.#requests.delete(envelope.id);
        clearTimeout(pending.timer);
        if (envelope.k === 'ack') pending.resolve();
        else pending.reject(PlugSocketError.fromWire(envelope.error));
        return;
      }
      case 'error':
        this.#report(PlugSocketError.fromWire(envelope.error));
        return;
    }
  };

  readonly #handleClose = (info: CloseInfo): void => {
    const attempt = this.#attempt;
    if (attempt === undefined) this.#finishClose(info);
    else if (attempt.welcomed) attempt.closedAfterWelcome = info;
    else attempt.rejectWelcome(closeError(info));
  };

  readonly #handleError = (error: PlugSocketError): void => {
    this.#report(error);
  };

  #finishClose(info: CloseInfo | undefined): void {
    const wasOpen = this.#state === 'open' || this.#state === 'closing';
    this.#detach();
    for (const [id, pending] of this.#requests) {
      clearTimeout(pending.timer);
      this.#requests.delete(id);
      pending.reject(
        new PlugSocketError('NOT_CONNECTED', 'connection closed before the server answered'),
      );
    }
    this.#topics.clear();
    if (this.#state !== 'closed') this.#setState('closed');
    // `info` is undefined only when called from disconnect() after the transport's own close
    // event has already been handled (the port emits `close` exactly once).
    if (wasOpen && info !== undefined) this.#onClose.call(info);
    if (this.#userClose) {
      this.#state$.complete();
      this.#message$.complete();
    }
  }

  #request(kind: 'join' | 'leave', topic: string): Promise<void> {
    if (typeof topic !== 'string' || topic.length === 0 || topic.length > 256) {
      return Promise.reject(new TypeError('topic must be a string of 1–256 characters'));
    }
    if (this.#state !== 'open') {
      return Promise.reject(
        new PlugSocketError('NOT_CONNECTED', `cannot ${kind} while ${this.#state}`),
      );
    }
    const id = this.#nextRequestId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#requests.delete(id);
        reject(
          new PlugSocketError(
            'TIMEOUT',
            `no answer to ${kind} ${JSON.stringify(topic)} in ${this.#requestTimeout} ms`,
          ),
        );
      }, this.#requestTimeout);
      this.#requests.set(id, { resolve, reject, timer });
      this.#adapter.send(this.#codec.encode({ k: kind, id, topic }));
    });
  }

  #setState(state: ClientState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#state$.next(state);
  }

  #report(error: PlugSocketError): void {
    this.#logger.debug('error', { code: error.code, message: error.message });
    this.#onError.call(error);
  }

  #handlerFailed(error: unknown): void {
    this.#report(new PlugSocketError('SERVER_ERROR', 'a handler threw', { cause: error }));
  }
}

function closeError(info: CloseInfo): PlugSocketError {
  const detail = info.reason === '' ? `closed with ${info.code}` : info.reason;
  if (info.code === CloseCodes.AUTHENTICATION_FAILED)
    return new PlugSocketError('AUTHENTICATION_FAILED', detail);
  if (info.code === CloseCodes.UNAUTHORIZED) return new PlugSocketError('UNAUTHORIZED', detail);
  return new PlugSocketError(
    'CONNECTION_FAILED',
    `connection closed during handshake (${info.code} ${info.reason})`,
  );
}
