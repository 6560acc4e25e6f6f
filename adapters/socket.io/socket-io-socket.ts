import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  AbstractSocket,
  CloseCodes,
  DEFAULT_CONNECT_TIMEOUT,
  PlugSocketError,
  type AbstractSocketOptions,
  type CloseInfo,
  type AnyFrame,
  type ConnectOptions,
  type TransportCapabilities,
} from '../../src/index.js';
import { socketIoClientCapabilities } from './socket-io-capabilities.js';
import { closeInfoFor, SOCKET_IO_DISCONNECT_CODES } from './socket-io-close-reasons.js';
import { boundedSocketIoParser } from './socket-io-parser.js';
import {
  emitFrame,
  ownFrame,
  parseCloseEvent,
  SOCKET_IO_ANSWERS_CLOSE_QUERY,
  SOCKET_IO_EVENTS,
  toFrame,
  toStructuredFrame,
} from './socket-io-wire.js';

/** The Engine.IO client socket under a Socket.IO manager. */
type Engine = Socket['io']['engine'];

/**
 * The Engine.IO protocol revision socket.io-client 4 speaks, sent as the `EIO` query parameter.
 */
const ENGINE_IO_PROTOCOL = '4';

/**
 * Per-transport options that hand each Engine.IO transport a query keeping a `__proto__` key.
 * Engine.IO copies the query with `Object.assign({}, query)` before adding its own parameters,
 * and that assignment turns a `__proto__` key into a (refused) prototype change, so the key never
 * reaches the server. `transportOptions` are applied over Engine.IO's own, so each transport gets
 * the query built here instead: the key as own data, then `EIO`, `transport` and, once the
 * engine has one (an upgrade), `sid`, as Engine.IO adds them.
 */
function queryKeepingProto(
  query: Record<string, string>,
  transports: readonly string[],
  engine: () => Engine | undefined,
  given: Record<string, object> | undefined,
): Record<string, object> {
  const out: Record<string, object> = { ...given };
  for (const name of transports) {
    out[name] = {
      ...given?.[name],
      get query(): Record<string, string> {
        const own: Record<string, string> = {};
        for (const key of Object.keys(query)) {
          Object.defineProperty(own, key, {
            value: query[key],
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        own.EIO = ENGINE_IO_PROTOCOL;
        own.transport = name;
        const sid = engine()?.id;
        if (sid) own.sid = sid;
        return own;
      },
    };
  }
  return out;
}

/** socket.io-client options {@link SocketIoSocket} always sets itself. */
export type SocketIoManagedClientOption =
  | 'autoConnect'
  | 'reconnection'
  | 'forceNew'
  | 'multiplex'
  | 'auth'
  | 'extraHeaders'
  | 'query'
  | 'timeout'
  | 'path'
  | 'transports';

/** Options of {@link SocketIoSocket}. */
export interface SocketIoSocketOptions extends AbstractSocketOptions {
  /**
   * Socket.IO's request path; must match the server's.
   * @default '/socket.io'
   */
  path?: string;
  /**
   * Engine.IO transports to use, in order. WebSocket only by default: no long-polling handshake
   * and upgrade, and no sticky sessions needed behind a load balancer. Long-polling works too
   * (`['polling']`, or `['polling', 'websocket']` to upgrade).
   * @default ['websocket']
   */
  transports?: ('polling' | 'websocket' | 'webtransport')[];
  /**
   * Any other socket.io-client options (`withCredentials`, `rejectUnauthorized`, `agent`, …), passed
   * through. Those in {@link SocketIoManagedClientOption} are the adapter's: in particular
   * reconnection is always off (`reconnection: false`, `forceNew: true`), because only plugsocket's
   * client decides when to connect again.
   */
  clientOptions?: Partial<Omit<ManagerOptions & SocketOptions, SocketIoManagedClientOption>>;
}

/**
 * The Socket.IO client transport, built on `socket.io-client` alone so that a browser bundle never
 * pulls in the server. Connects to the url a `SocketIoServer` reports
 * (`http://host:port/namespace`); see `SOCKET_IO_EVENTS` for what travels on the wire.
 *
 * @example
 * ```ts
 * const client = new SocketClient(new SocketIoSocket(), { url: 'http://127.0.0.1:3000/chat' });
 * await client.connect();
 * ```
 */
export class SocketIoSocket extends AbstractSocket<AnyFrame> {
  /** See {@link socketIoClientCapabilities}: everything, in Node. */
  readonly supports: TransportCapabilities;
  readonly #path: string;
  readonly #transports: SocketIoSocketOptions['transports'] & {};
  readonly #clientOptions: SocketIoSocketOptions['clientOptions'];
  #socket: Socket | undefined;
  /** Undoes the listeners of the current socket. */
  #release: (() => void) | undefined;
  /** The `{ code, reason }` of a close this side started on the current socket. */
  #closing: CloseInfo | undefined;
  /** The server advertised that it answers the close event (see `SOCKET_IO_EVENTS`). */
  #serverAnswersClose = false;

  /** @param options transports, path and socket.io-client options; nothing connects before `connect()`. */
  constructor(options: SocketIoSocketOptions = {}) {
    super(options);
    this.#path = options.path ?? '/socket.io';
    this.#transports = [...(options.transports ?? ['websocket'])];
    this.#clientOptions = options.clientOptions;
    this.supports = socketIoClientCapabilities(this.#transports);
  }

  protected doConnect(options: ConnectOptions): void {
    const target = new URL(options.url);
    // The query goes in `query` rather than in the url: Engine.IO would let a query in the url
    // replace `query` as a whole instead of merging the two. A key repeated in the url: the first
    // value wins; a key also in `options.query`: the option's. Null-prototype, so that a
    // "__proto__" key stays data.
    const query = Object.create(null) as Record<string, string>;
    for (const [key, value] of target.searchParams) query[key] ??= value;
    if (options.query !== undefined) {
      for (const key of Object.keys(options.query)) query[key] = options.query[key];
    }
    // Advertises that this client answers the server's close event.
    query[SOCKET_IO_ANSWERS_CLOSE_QUERY] = '1';
    this.#serverAnswersClose = false;
    const clientOptions = this.#clientOptions;
    const socket: Socket = io(`${target.protocol}//${target.host}${target.pathname}`, {
      parser: boundedSocketIoParser,
      ...clientOptions,
      ...(Object.hasOwn(query, '__proto__')
        ? {
            transportOptions: queryKeepingProto(
              query,
              this.#transports,
              // Not yet set while the manager constructs the engine (no session id then).
              (): Engine | undefined => socket.io.engine,
              clientOptions?.transportOptions as Record<string, object> | undefined,
            ),
          }
        : {}),
      autoConnect: false,
      reconnection: false,
      forceNew: true,
      path: this.#path,
      transports: this.#transports,
      timeout: options.timeout ?? DEFAULT_CONNECT_TIMEOUT,
      query,
      ...(options.headers === undefined ? {} : { extraHeaders: { ...options.headers } }),
      ...(options.auth === undefined ? {} : { auth: { ...options.auth } }),
    });
    this.#socket = socket;
    let announced: CloseInfo | undefined;
    const onConnect = (): void => this.emitOpen();
    const onConnectError = (error: Error): void => this.emitError(error);
    const onFrame = (data: unknown): void => {
      const frame = toFrame(data);
      if (frame === undefined) {
        this.emitError(new PlugSocketError('INVALID_MESSAGE', 'frame is neither text nor binary'));
      } else {
        this.emitMessage(frame);
      }
    };
    const onStructured = (...args: unknown[]): void => {
      this.emitMessage(toStructuredFrame(args));
    };
    const onStructuredList = (frame: unknown): void => {
      if (Array.isArray(frame)) this.emitMessage(frame as unknown[]);
      else {
        this.emitError(
          new PlugSocketError('INVALID_MESSAGE', 'a long structured frame must be an array'),
        );
      }
    };
    const onClose = (code: unknown, reason: unknown): void => {
      const info = parseCloseEvent(code, reason);
      // One with a code that may not be sent counts as none: the server's disconnect decides.
      if (info === undefined) return;
      announced ??= info;
      // The server closes and keeps reading until this side answers: everything sent before is
      // ahead of the disconnect packet that answers it. (Also when both closed at once.)
      socket.disconnect();
    };
    const onAnswersClose = (): void => {
      this.#serverAnswersClose = true;
    };
    const onPing = (): void => {
      socket.emit(SOCKET_IO_EVENTS.PONG);
    };
    const onPong = (): void => this.emitPong();
    const onDisconnect = (reason: string): void => {
      const closing = this.#closing;
      this.#dispose();
      // After a dropped transport the manager still holds the socket: release both for good.
      socket.disconnect();
      // A close this side started reports what it sent once the server ended it cleanly; a
      // transport that dropped first is a lost connection (1006), as on every transport.
      const dropped = SOCKET_IO_DISCONNECT_CODES[reason] === CloseCodes.ABNORMAL;
      if (closing !== undefined)
        this.emitClose(dropped ? closeInfoFor(reason, undefined) : closing);
      else this.emitClose(closeInfoFor(reason, announced));
    };
    socket.on('connect', onConnect);
    socket.on('connect_error', onConnectError);
    socket.on('disconnect', onDisconnect);
    socket.on(SOCKET_IO_EVENTS.FRAME, onFrame);
    socket.on(SOCKET_IO_EVENTS.STRUCTURED, onStructured);
    socket.on(SOCKET_IO_EVENTS.STRUCTURED_LIST, onStructuredList);
    socket.on(SOCKET_IO_EVENTS.CLOSE, onClose);
    socket.on(SOCKET_IO_EVENTS.PING, onPing);
    socket.on(SOCKET_IO_EVENTS.PONG, onPong);
    socket.on(SOCKET_IO_EVENTS.ANSWERS_CLOSE, onAnswersClose);
    this.#release = () => {
      socket.off('connect', onConnect);
      socket.off('connect_error', onConnectError);
      socket.off('disconnect', onDisconnect);
      socket.off(SOCKET_IO_EVENTS.FRAME, onFrame);
      socket.off(SOCKET_IO_EVENTS.STRUCTURED, onStructured);
      socket.off(SOCKET_IO_EVENTS.STRUCTURED_LIST, onStructuredList);
      socket.off(SOCKET_IO_EVENTS.CLOSE, onClose);
      socket.off(SOCKET_IO_EVENTS.PING, onPing);
      socket.off(SOCKET_IO_EVENTS.PONG, onPong);
      socket.off(SOCKET_IO_EVENTS.ANSWERS_CLOSE, onAnswersClose);
    };
    socket.connect();
  }

  protected doSend(frame: AnyFrame): void {
    if (this.#socket !== undefined) emitFrame(this.#socket, ownFrame(frame), true);
  }

  /** The reserved ping event; the server adapter answers it with the pong event. */
  protected override doPing(): void {
    this.#socket?.emit(SOCKET_IO_EVENTS.PING);
  }

  /**
   * What Engine.IO holds for this client: the text and binary of the packets in its write
   * buffer, plus what its WebSocket transport has not yet written.
   */
  protected override doBufferedAmount(): number {
    const engine = (this.#socket as { io?: { engine?: EngineInternals } } | undefined)?.io?.engine;
    if (engine === undefined) return 0;
    let bytes = engine.transport?.ws?.bufferedAmount ?? 0;
    for (const packet of engine.writeBuffer ?? []) {
      const data = packet.data;
      if (typeof data === 'string') bytes += data.length;
      else if (typeof data === 'object' && data !== null && 'byteLength' in data)
        bytes += (data as { byteLength: number }).byteLength;
    }
    return bytes;
  }

  /**
   * Announces the close with the reserved close event and keeps reading: the server answers by
   * disconnecting, after everything it sent before it heard of the close, so those frames still
   * arrive (the base class delivers while closing). The close is reported when that answer
   * arrives, with the code and reason sent here; without one, the base class gives up after
   * `closeTimeout`. A server that did not advertise that it answers (a plain Socket.IO server,
   * an older plugsocket) never would: then this side disconnects at once after the close event.
   */
  protected doClose(code: number, reason: string): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    this.#closing = { code, reason };
    socket.emit(SOCKET_IO_EVENTS.CLOSE, code, reason);
    // The manager closes the engine after flushing the close event and the disconnect packet.
    if (!this.#serverAnswersClose) socket.disconnect();
  }

  protected doTerminate(): void {
    const socket = this.#socket;
    this.#dispose();
    if (socket === undefined) return;
    // Closing the transport underneath Socket.IO drops the write buffer and sends no disconnect
    // packet, so the server sees `transport close` (1006), as if the network had failed.
    (socket.io.engine as typeof socket.io.engine | undefined)?.transport?.close();
    // Releases the manager, and with it every timer, even if the transport was still opening.
    socket.disconnect();
  }

  /** Removes the listeners of the current socket and forgets it. */
  #dispose(): void {
    this.#release?.();
    this.#release = undefined;
    this.#socket = undefined;
    this.#closing = undefined;
  }
}

/** The parts of an Engine.IO client socket read for `bufferedAmount` (not in its typings). */
interface EngineInternals {
  writeBuffer?: { data?: unknown }[];
  transport?: { ws?: { bufferedAmount?: number } };
}
