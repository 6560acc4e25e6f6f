import type { ClientRequest, IncomingMessage } from 'node:http';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import {
  AbstractSocket,
  DEFAULT_CONNECT_TIMEOUT,
  mergeConnectQuery,
  PlugSocketError,
  type AbstractSocketOptions,
  type ConnectOptions,
  type Frame,
  type TransportCapabilities,
} from '../../src/index.js';
import { encodeAuthHeader, WS_AUTH_HEADER } from './auth-header.js';
import { fromWsError } from './ws-error.js';
import { ownBytes, toFrame } from './ws-frame.js';
import { WS_CAPABILITIES } from './ws-socket-server.js';

/**
 * Default ws transport limit of {@link WsSocket}, in bytes: 8 MiB, above the domain limit
 * `SocketClientOptions.maxPayload` (4 MiB), so that a frame over that one meets the domain's check
 * (dropped and reported, the connection stays open) rather than a closed connection.
 */
export const DEFAULT_WS_CLIENT_MAX_PAYLOAD = 8 * 1024 * 1024;

/** ws `ClientOptions` that {@link WsSocket} manages itself, so `wsOptions` cannot set them. */
export type WsManagedClientOption = 'headers' | 'handshakeTimeout' | 'maxPayload';

/** Options of {@link WsSocket}. */
export interface WsSocketOptions extends AbstractSocketOptions {
  /**
   * The ws transport limit on this client: the largest frame, in bytes, that `ws` accepts from
   * the server. A bigger one closes the connection with 1009, and this socket emits a
   * `PAYLOAD_TOO_LARGE` error event. Not the domain limit, `SocketClientOptions.maxPayload`
   * (default 4 MiB), which `SocketClient` checks on every transport: a frame over that one is
   * dropped and reported, and the connection stays open. Keep this one larger, as the defaults
   * are (ws counts content bytes, so every frame of up to 4 MiB fits).
   * @default 8388608 (8 MiB, {@link DEFAULT_WS_CLIENT_MAX_PAYLOAD})
   */
  maxPayload?: number;
  /**
   * Any other ws `ClientOptions` (e.g. `agent`, TLS options, `origin`), passed through as they
   * are. `perMessageDeflate` is off unless set here.
   */
  wsOptions?: Omit<ClientOptions, WsManagedClientOption>;
}

function ignore(): void {
  // Swallows late 'error' events of a socket that was given up.
}

/**
 * The client side of the `ws` transport, for Node. Connects to a {@link WsSocketServer} (or any
 * WebSocket server) at a `ws://` or `wss://` url.
 *
 * `ConnectOptions.query` is merged into the url's query (a key in both takes the option's value),
 * `headers` are sent with the upgrade request and `auth` travels as the `x-plugsocket-auth`
 * header. When the server answers the upgrade with an HTTP error (400 for malformed auth, 404 for
 * a wrong path, …), `connect()` rejects with `CONNECTION_FAILED` whose `cause.status` is that
 * status.
 *
 * @example
 * ```ts
 * const socket = new WsSocket();
 * await socket.connect({ url: 'ws://127.0.0.1:8080/rt', auth: { token } });
 * ```
 */
export class WsSocket extends AbstractSocket {
  /** {@link WS_CAPABILITIES}. */
  readonly supports: TransportCapabilities = WS_CAPABILITIES;
  readonly #maxPayload: number;
  readonly #wsOptions: Omit<ClientOptions, WsManagedClientOption> | undefined;
  #ws: WebSocket | undefined;

  /** @throws {RangeError} when `maxPayload` is not a positive integer. */
  constructor(options: WsSocketOptions = {}) {
    super(options);
    const { maxPayload = DEFAULT_WS_CLIENT_MAX_PAYLOAD } = options;
    if (!(Number.isSafeInteger(maxPayload) && maxPayload > 0)) {
      throw new RangeError(`maxPayload must be a positive integer, got ${maxPayload}`);
    }
    this.#maxPayload = maxPayload;
    this.#wsOptions = options.wsOptions;
  }

  protected doConnect(options: ConnectOptions): void {
    const url = new URL(options.url);
    mergeConnectQuery(url, options.query);
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth !== undefined) headers[WS_AUTH_HEADER] = encodeAuthHeader(options.auth);
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      ...this.#wsOptions,
      headers,
      handshakeTimeout: options.timeout ?? DEFAULT_CONNECT_TIMEOUT,
      maxPayload: this.#maxPayload,
    });
    this.#ws = ws;
    ws.on('open', this.#onOpen);
    ws.on('message', this.#onMessage);
    ws.on('close', this.#onClose);
    ws.on('error', this.#onError);
    ws.on('unexpected-response', this.#onUnexpectedResponse);
    ws.on('pong', this.#onPong);
  }

  protected doSend(frame: Frame): void {
    const ws = this.#ws;
    if (ws === undefined) throw new PlugSocketError('NOT_CONNECTED', 'no WebSocket');
    // ws infers text or binary from the type, so no options object is needed. Binary is copied:
    // with permessage-deflate, ws compresses the caller's bytes later, as they are by then.
    ws.send(typeof frame === 'string' ? frame : ownBytes(frame));
  }

  protected override doPing(): void {
    this.#ws?.ping();
  }

  protected override doBufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  protected doClose(code: number, reason: string): void {
    const ws = this.#ws;
    if (ws === undefined) throw new PlugSocketError('NOT_CONNECTED', 'no WebSocket');
    ws.close(code, reason);
  }

  protected doTerminate(): void {
    const ws = this.#release();
    if (ws === undefined) return;
    ws.on('error', ignore);
    ws.terminate();
  }

  // ---------------------------------------------------------------- internals

  // The listeners are made once per instance, so that every native socket is detached from the
  // same functions: a reconnect on this instance never hears an earlier socket.
  readonly #onOpen = (): void => this.emitOpen();

  readonly #onMessage = (data: RawData, isBinary: boolean): void => {
    this.emitMessage(toFrame(data, isBinary));
  };

  readonly #onClose = (code: number, reason: Buffer): void => {
    this.#release();
    this.emitClose({ code, reason: reason.toString('utf8') });
  };

  readonly #onError = (error: Error): void => this.emitError(fromWsError(error));

  readonly #onPong = (): void => this.emitPong();

  readonly #onUnexpectedResponse = (_req: ClientRequest, res: IncomingMessage): void => {
    // With this listener present ws leaves the request open; terminate() aborts it.
    this.doTerminate();
    const status = res.statusCode ?? 0;
    this.emitError(
      new PlugSocketError(
        'CONNECTION_FAILED',
        `server refused the WebSocket upgrade: HTTP ${status}`,
        {
          cause: Object.assign(new Error(`unexpected server response: ${status}`), { status }),
        },
      ),
    );
  };

  /** Detaches this instance from its native socket and returns that socket. */
  #release(): WebSocket | undefined {
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws === undefined) return undefined;
    ws.off('open', this.#onOpen);
    ws.off('message', this.#onMessage);
    ws.off('close', this.#onClose);
    ws.off('error', this.#onError);
    ws.off('unexpected-response', this.#onUnexpectedResponse);
    ws.off('pong', this.#onPong);
    return ws;
  }
}
