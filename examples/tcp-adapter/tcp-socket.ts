import { connect, type Socket } from 'node:net';
import {
  AbstractSocket,
  PlugSocketError,
  type AbstractSocketOptions,
  type CloseInfo,
  type ConnectOptions,
  type Frame,
  type TransportCapabilities,
} from 'plugsocket';
import {
  DEFAULT_CLIENT_MAX_FRAME_SIZE,
  encodeFrame,
  encodeMessage,
  FrameDecoder,
  TcpProtocolError,
  type TcpFrame,
} from './frame-codec.js';
import { TCP_CAPABILITIES } from './tcp-socket-server.js';

/** Options of {@link TcpSocket}. */
export interface TcpSocketOptions extends AbstractSocketOptions {
  /**
   * Largest incoming frame body in bytes; a bigger one closes the connection with 1009. Above the
   * client's domain limit (`SocketClientOptions.maxPayload`, 4 MiB).
   * @default 8388608 (8 MiB)
   */
  maxFrameSize?: number;
}

/** Where a `tcp://host:port/path?query` url points, with the connect options' query merged in. */
export interface TcpTarget {
  /** Host name or IP address, without IPv6 brackets. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** Path and query as sent in the hello, e.g. `/chat?room=1`; `/` when the url has no path. */
  readonly path: string;
  /** The decoded query parameters (first value wins). */
  readonly query: Record<string, string>;
}

const DEFAULT_CLOSE_TIMEOUT = 5_000;

function ignore(): void {
  // Swallows late 'error' events of a socket that this instance has let go of.
}

/**
 * Parses `tcp://host:port/path?query`. Keys of `extraQuery` replace those of the url.
 * @throws {TypeError} for another scheme, or a url without host or port.
 */
export function parseTcpUrl(url: string, extraQuery: Record<string, string> = {}): TcpTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`invalid url: ${url}`);
  }
  if (parsed.protocol !== 'tcp:') throw new TypeError(`not a tcp:// url: ${url}`);
  if (parsed.hostname === '' || parsed.port === '') {
    throw new TypeError(`a tcp:// url needs a host and a port: ${url}`);
  }
  for (const key of Object.keys(extraQuery)) parsed.searchParams.set(key, extraQuery[key]);
  // Null prototype: a query key such as `__proto__` stays plain data.
  const query = Object.create(null) as Record<string, string>;
  for (const [key, value] of parsed.searchParams)
    if (!Object.hasOwn(query, key)) query[key] = value;
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { host, port: Number(parsed.port), path: (parsed.pathname || '/') + parsed.search, query };
}

/**
 * The client side of the example TCP transport: connects to a {@link TcpSocketServer} at
 * `tcp://host:port/path?query`, presents `headers`, `query` and `auth` in its hello frame, and
 * opens when the server accepts.
 *
 * @example
 * ```ts
 * const socket = new TcpSocket();
 * await socket.connect({ url: 'tcp://127.0.0.1:41234/chat', auth: { token } });
 * socket.send('hello');
 * ```
 */
export class TcpSocket extends AbstractSocket {
  /** {@link TCP_CAPABILITIES}. */
  readonly supports: TransportCapabilities = TCP_CAPABILITIES;
  readonly #maxFrameSize: number;
  readonly #closeTimeout: number;
  // Per connection; replaced on every connect, cleared by #release.
  #socket: Socket | undefined;
  #decoder: FrameDecoder | undefined;
  #accepted = false;
  #closing: CloseInfo | undefined;
  #failure: string | undefined;

  /** @throws {RangeError} when `maxFrameSize` is not a positive 32-bit integer. */
  constructor(options: TcpSocketOptions = {}) {
    super(options);
    this.#maxFrameSize = options.maxFrameSize ?? DEFAULT_CLIENT_MAX_FRAME_SIZE;
    new FrameDecoder({ maxFrameSize: this.#maxFrameSize });
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
  }

  // ---------------------------------------------------------------- hooks

  protected doConnect(options: ConnectOptions): void {
    // Everything that can fail synchronously (a bad url, an auth object JSON cannot hold) fails
    // here, before a socket exists: the base class turns the throw into CONNECTION_FAILED.
    const target = parseTcpUrl(options.url, options.query);
    const hello = encodeFrame({
      kind: 'hello',
      hello: {
        url: target.path,
        headers: { ...options.headers },
        query: target.query,
        auth: options.auth ?? {},
      },
    });
    this.#decoder = new FrameDecoder({ maxFrameSize: this.#maxFrameSize });
    this.#accepted = false;
    this.#closing = undefined;
    this.#failure = undefined;
    const socket = connect({ host: target.host, port: target.port });
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    // net queues writes made before the TCP connection is up and flushes them once it is.
    socket.write(hello);
    // Not open yet: open is reported when the server's accept frame arrives (#onFrame).
  }

  protected doSend(frame: Frame): void {
    const socket = this.#socket;
    if (socket === undefined) throw new PlugSocketError('NOT_CONNECTED', 'no TCP socket');
    socket.write(encodeMessage(frame));
  }

  /** `supports.ping` means both ways: the client pings too, and the server echoes a pong. */
  protected override doPing(): void {
    this.#socket?.write(encodeFrame({ kind: 'ping', data: new Uint8Array(0) }));
  }

  /** What the kernel has not yet taken of this socket's writes. */
  protected override doBufferedAmount(): number {
    return this.#socket?.writableLength ?? 0;
  }

  protected doClose(code: number, reason: string): void {
    const socket = this.#socket;
    if (socket === undefined) throw new PlugSocketError('NOT_CONNECTED', 'no TCP socket');
    // Completes in #onFrame when the server answers, or in #onClose if it just hangs up.
    this.#closing = { code, reason };
    socket.write(encodeFrame({ kind: 'close', code, reason }));
  }

  protected doTerminate(): void {
    this.#release()?.destroy();
  }

  // ---------------------------------------------------------------- socket events

  // Made once per instance, so every socket is detached from the same functions: after a
  // reconnect this instance never hears an earlier socket, and no listener piles up.
  readonly #onData = (chunk: Buffer): void => {
    const socket = this.#socket;
    const decoder = this.#decoder;
    if (socket === undefined || decoder === undefined) return;
    let frames: TcpFrame[];
    try {
      frames = decoder.push(chunk);
    } catch (error) {
      this.#protocolError(error as TcpProtocolError);
      return;
    }
    for (const frame of frames) {
      // A listener may have closed, terminated or even reconnected this instance meanwhile.
      if (this.#socket !== socket) return;
      this.#onFrame(socket, frame);
    }
  };

  readonly #onError = (error: Error): void => {
    // Before open this fails the pending connect (e.g. ECONNREFUSED). After open the 'close'
    // that follows reports the loss as 1006, with the error as its reason.
    if (!this.#accepted) this.emitError(error);
    else this.#failure ??= error.message;
  };

  readonly #onClose = (): void => {
    const info = this.#closing ?? { code: 1006, reason: this.#failure ?? '' };
    this.#release();
    // Before open the base class turns this into a failed connect.
    this.emitClose(info);
  };

  #onFrame(socket: Socket, frame: TcpFrame): void {
    if (!this.#accepted) {
      if (frame.kind === 'accept') {
        this.#accepted = true;
        this.emitOpen();
      } else if (frame.kind === 'close') {
        // The server refused the handshake; the code (e.g. 4401) ends up in the connect error.
        this.#closing = { code: frame.code, reason: frame.reason };
        this.#finish();
        this.emitClose(this.#closing);
      } else {
        this.#protocolError(new TcpProtocolError(1002, `expected accept, got ${frame.kind}`));
      }
      return;
    }
    switch (frame.kind) {
      case 'text':
      case 'binary':
        this.emitMessage(frame.data);
        return;
      case 'ping':
        socket.write(encodeFrame({ kind: 'pong', data: frame.data }));
        return;
      case 'pong':
        this.emitPong();
        return;
      case 'close': {
        if (this.#closing === undefined) {
          // The server started the close: answer with the same code.
          this.#closing = { code: frame.code, reason: frame.reason };
          socket.write(encodeFrame(frame));
        }
        const info = this.#closing;
        this.#finish();
        this.emitClose(info);
        return;
      }
      case 'hello':
      case 'accept':
        this.#protocolError(new TcpProtocolError(1002, `unexpected ${frame.kind} frame`));
        return;
    }
  }

  // ---------------------------------------------------------------- ending

  #protocolError(error: TcpProtocolError): void {
    const socket = this.#socket;
    if (socket !== undefined && this.#closing === undefined) {
      socket.write(encodeFrame({ kind: 'close', code: error.closeCode, reason: error.message }));
    }
    this.#finish();
    // Before open, emitError fails the connect and the emitClose below is ignored.
    this.emitError(error);
    this.emitClose({ code: error.closeCode, reason: error.message });
  }

  /**
   * Lets go of the socket and half-closes it; the server then hangs up. If it does not within
   * `closeTimeout` ms, the socket is destroyed. Ending rather than destroying keeps a TCP reset
   * from overtaking the close frame we may just have written.
   */
  #finish(): void {
    const socket = this.#release();
    if (socket === undefined) return;
    socket.end();
    const linger = setTimeout(() => socket.destroy(), this.#closeTimeout);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
  }

  /** Detaches this instance from its socket and returns that socket. */
  #release(): Socket | undefined {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#decoder = undefined;
    if (socket === undefined) return undefined;
    socket.off('data', this.#onData);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
    // Without any 'error' listener a late ECONNRESET would crash the process.
    socket.on('error', ignore);
    return socket;
  }
}
