import {
  AbstractSocket,
  PlugSocketError,
  type AbstractSocketOptions,
  type ConnectOptions,
  type Frame,
  type TransportCapabilities,
  mergeConnectQuery,
} from '../../src/index.js';

/**
 * What {@link BrowserSocket} needs of a WebSocket: the standard API of the WHATWG WebSocket, as
 * browsers, Deno, Bun and Node ≥ 22 have it globally and as the `ws` package's `WebSocket` class
 * implements it. Declared here so that the adapter needs no DOM typings.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued by `send()` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** How binary messages are delivered; the adapter sets `'arraybuffer'`. */
  binaryType: string;
  send(data: string | Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: WebSocketEventName, listener: (event: WebSocketEventLike) => void): void;
  removeEventListener(
    type: WebSocketEventName,
    listener: (event: WebSocketEventLike) => void,
  ): void;
}

/** What {@link BrowserSocket} reads of the events: `data` of a message, `code` and `reason` of a close. */
export interface WebSocketEventLike {
  /** The event's name. */
  readonly type: string;
  readonly data?: unknown;
  readonly code?: number;
  readonly reason?: string;
}

/** The events {@link BrowserSocket} listens to. */
export type WebSocketEventName = 'open' | 'message' | 'close' | 'error';

/** A constructor with the standard signature, such as `globalThis.WebSocket` or ws's `WebSocket`. */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

/** Options of {@link BrowserSocket}. */
export interface BrowserSocketOptions extends AbstractSocketOptions {
  /**
   * The WebSocket implementation. Give one where the runtime has none globally (Node 20: the
   * `ws` package's `WebSocket`), or to wrap the platform's.
   * @default globalThis.WebSocket
   */
  WebSocket?: WebSocketConstructor;
  /** Subprotocols offered in the handshake (`Sec-WebSocket-Protocol`). @default none */
  protocols?: string | string[];
}

/**
 * The capabilities of {@link BrowserSocket}: binary frames, and the handshake query (the one
 * place a browser's WebSocket can put data at connect time, which is what session resume and
 * `QueryTokenAuthorization` use); a server sees the page's address as with any client. No transport ping (browsers answer the server's pings but
 * cannot send one, so the client's heartbeat uses protocol `ping` frames), no headers and no
 * handshake `auth` (authenticate with `FirstFrameAuthorization` or `QueryTokenAuthorization`),
 * no structured frames (JSON text).
 */
export const BROWSER_CAPABILITIES: TransportCapabilities = Object.freeze({
  binary: true,
  ping: false,
  handshakeHeaders: false,
  handshakeQuery: true,
  handshakeAuth: false,
  remoteAddress: true,
  structured: false,
});

/** Close codes a page may send (WHATWG: 1000 or 3000–4999; any other throws in `close()`). */
function sendableCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

const OPEN = 1;

/**
 * The client side of a WebSocket connection over the platform's `WebSocket`: the transport for
 * browsers (and Deno, Bun, Node ≥ 22, or Node 20 with the `ws` package's class given as the
 * `WebSocket` option). It speaks to any plugsocket WebSocket server, such as `WsSocketServer`.
 *
 * The platform API has limits the adapter keeps to, rather than hides:
 * - **Credentials.** A page cannot set handshake headers, so `ConnectOptions.headers` and
 *   `ConnectOptions.auth` make `connect()` fail with `CONNECTION_FAILED` (cause: a `TypeError`
 *   saying so). Authenticate with `FirstFrameAuthorization` (credentials in the first frame,
 *   out of the URL) or `QueryTokenAuthorization` (a token in the query).
 * - **Close codes.** A page may close with 1000 or 3000–4999 only; `disconnect()` with another
 *   valid code (1001, 1008, …) closes with 1000 and the same reason.
 * - **`terminate()`.** There is no way to drop a connection without a close handshake: the
 *   adapter detaches at once (its `close` event reports 1006 right away, as the port promises)
 *   and closes the native socket with 1000 (or, where the implementation has one, calls its
 *   `terminate()`, as ws's class does). The server therefore sees a clean 1000 close from a
 *   browser, not a 1006.
 * - **Refused upgrades.** A refused handshake (HTTP 401, 404, …) tells a page nothing but
 *   "error", so `connect()` fails with `CONNECTION_FAILED` without a status.
 *
 * `ConnectOptions.query` is merged into the url's query (a key in both takes the option's
 * value). A relative url (`/rt`) is resolved against the page's location, and `http(s):` is
 * taken as `ws(s):`.
 *
 * @example
 * ```ts
 * import { FirstFrameAuthorization, SocketClient } from 'plugsocket';
 * import { BrowserSocket } from 'plugsocket/browser';
 *
 * const client = new SocketClient(new BrowserSocket(), {
 *   url: 'wss://example.com/rt',
 *   authorization: new FirstFrameAuthorization({ credentials: () => ({ token: 'secret' }) }),
 * });
 * await client.connect();
 * ```
 */
export class BrowserSocket extends AbstractSocket {
  /** {@link BROWSER_CAPABILITIES}. */
  readonly supports: TransportCapabilities = BROWSER_CAPABILITIES;
  readonly #WebSocket: WebSocketConstructor | undefined;
  readonly #protocols: string | string[] | undefined;
  #ws: WebSocketLike | undefined;
  /** The code and reason `disconnect()` asked for, reported by the close that follows. */
  #closing: { code: number; reason: string } | undefined;

  /** @throws {TypeError} when `WebSocket` is given and is not a constructor. */
  constructor(options: BrowserSocketOptions = {}) {
    super(options);
    const { WebSocket: ctor, protocols } = options;
    if (ctor !== undefined && typeof ctor !== 'function') {
      throw new TypeError('BrowserSocket: the WebSocket option must be a constructor');
    }
    this.#WebSocket = ctor;
    this.#protocols = protocols;
  }

  protected doConnect(options: ConnectOptions): void {
    if (options.headers !== undefined && Object.keys(options.headers).length > 0) {
      throw new TypeError(
        'BrowserSocket cannot send handshake headers (a page cannot set them); ' +
          'use FirstFrameAuthorization or QueryTokenAuthorization for credentials',
      );
    }
    if (options.auth !== undefined) {
      throw new TypeError(
        'BrowserSocket cannot carry handshake auth (a page cannot set headers); ' +
          'use FirstFrameAuthorization or QueryTokenAuthorization',
      );
    }
    const ctor =
      this.#WebSocket ??
      (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ??
      undefined;
    if (ctor === undefined) {
      throw new TypeError(
        'BrowserSocket: this runtime has no global WebSocket; pass one as the WebSocket option ' +
          "(in Node 20: `import { WebSocket } from 'ws'`)",
      );
    }
    const ws = new ctor(socketUrl(options), this.#protocols);
    this.#closing = undefined;
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    ws.addEventListener('open', this.#onOpen);
    ws.addEventListener('message', this.#onMessage);
    ws.addEventListener('close', this.#onClose);
    ws.addEventListener('error', this.#onError);
  }

  protected doSend(frame: Frame): void {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== OPEN) {
      throw new PlugSocketError('NOT_CONNECTED', 'the WebSocket is not open');
    }
    // A copy of binary: an implementation may read the bytes after send() returned (ws's class
    // compresses later), and the port lets the caller reuse them at once. Not frame.slice(): on
    // a Node Buffer that is a view sharing the caller's memory.
    ws.send(typeof frame === 'string' ? frame : new Uint8Array(frame));
  }

  protected override doBufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  protected doClose(code: number, reason: string): void {
    const ws = this.#ws;
    if (ws === undefined) throw new PlugSocketError('NOT_CONNECTED', 'no WebSocket');
    // The close event reports what the caller asked for (the port's promise to the side that
    // starts a close), even where the platform made it send 1000 instead.
    this.#closing = { code, reason };
    ws.close(sendableCode(code), reason);
  }

  protected doTerminate(): void {
    const ws = this.#release();
    if (ws === undefined) return;
    // Late events of a socket given up are not ours any more; swallow its errors.
    ws.addEventListener('error', ignore);
    const native = ws as WebSocketLike & { terminate?: () => void };
    try {
      if (typeof native.terminate === 'function') native.terminate();
      else if (ws.readyState <= OPEN) ws.close(1000);
    } catch {
      // Best effort: the socket is abandoned either way.
    }
  }

  // ---------------------------------------------------------------- internals

  // Made once per instance, so every native socket is detached from the same functions and a
  // reconnect on this instance never hears an earlier socket.
  readonly #onOpen = (): void => this.emitOpen();

  readonly #onMessage = (event: WebSocketEventLike): void => {
    const { data } = event;
    if (typeof data === 'string') this.emitMessage(data);
    else if (data instanceof ArrayBuffer) this.emitMessage(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) {
      // An implementation that ignores binaryType (a Node Buffer, say): the bytes as a view.
      this.emitMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } else {
      this.emitError(
        new PlugSocketError('INVALID_MESSAGE', 'the WebSocket delivered data of an unknown type'),
      );
    }
  };

  readonly #onClose = (event: WebSocketEventLike): void => {
    this.#release();
    const requested = this.#closing;
    this.#closing = undefined;
    // 1005: closed without a status code, as the platform reports it. A close this side started
    // and completed reports the code and reason it asked for; an abnormal end (1006) stays one.
    if (requested !== undefined && event.code !== 1006) this.emitClose(requested);
    else this.emitClose({ code: event.code ?? 1005, reason: event.reason ?? '' });
  };

  readonly #onError = (): void => {
    // The platform's error event carries no detail by design, and a close event always follows
    // it. While connecting it fails connect(); on an open socket the connection is ending, which
    // the port reports through close (1006) alone, not as an error.
    if (this.state === 'connecting') {
      this.emitError(new PlugSocketError('CONNECTION_FAILED', 'WebSocket error'));
    }
  };

  /** Detaches this instance from its native socket and returns that socket. */
  #release(): WebSocketLike | undefined {
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws === undefined) return undefined;
    ws.removeEventListener('open', this.#onOpen);
    ws.removeEventListener('message', this.#onMessage);
    ws.removeEventListener('close', this.#onClose);
    ws.removeEventListener('error', this.#onError);
    return ws;
  }
}

function ignore(): void {
  // Swallows late 'error' events of a socket that was given up.
}

/** The url to open: relative resolved against the page, http(s) as ws(s), the query merged in. */
function socketUrl(options: ConnectOptions): string {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  let url: URL;
  try {
    url = new URL(options.url, base);
  } catch (error) {
    throw new TypeError(
      base === undefined
        ? `BrowserSocket: "${options.url}" is not an absolute URL, and there is no page location to resolve it against`
        : `BrowserSocket: "${options.url}" is not a valid URL`,
      { cause: error },
    );
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  // WebSocket URLs may not have a fragment (the constructor throws on one).
  url.hash = '';
  mergeConnectQuery(url, options.query);
  return url.href;
}
