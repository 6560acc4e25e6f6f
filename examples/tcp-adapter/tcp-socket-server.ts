import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  AbstractSocketServer,
  type AbstractSocketServerOptions,
  type CloseInfo,
  type Frame,
  type ListenAddress,
  type ServerConnection,
  type TransportCapabilities,
} from 'plugsocket';
import {
  DEFAULT_MAX_FRAME_SIZE,
  encodeFrame,
  encodeMessage,
  FrameDecoder,
  TcpProtocolError,
  type Hello,
  type TcpFrame,
} from './frame-codec.js';

/**
 * What the TCP transport can do: the frame kinds carry binary and ping/pong, the hello carries
 * headers, query and auth, and `net` knows the peer's address. Frames are bytes on the wire, not
 * JSON values, so it carries no structured frames (the domain sends JSON text).
 */
export const TCP_CAPABILITIES: TransportCapabilities = Object.freeze({
  binary: true,
  ping: true,
  handshakeHeaders: true,
  handshakeQuery: true,
  handshakeAuth: true,
  remoteAddress: true,
  structured: false, // frames are bytes; the domain uses JSON text
});

/** Default milliseconds a client has to send a valid hello. @default 5000 */
export const DEFAULT_HANDSHAKE_TIMEOUT = 5_000;

/**
 * Largest hello accepted, in bytes. Smaller than frames after the handshake: a peer that has not
 * presented anything yet should not be able to make the server buffer megabytes.
 */
const MAX_HELLO_SIZE = 64 * 1024;
const DEFAULT_CLOSE_TIMEOUT = 5_000;
const NO_BYTES = new Uint8Array(0);

/** Options of {@link TcpSocketServer}. */
export interface TcpSocketServerOptions extends AbstractSocketServerOptions {
  /** TCP port; 0 lets the OS pick a free one, which `listen()` reports. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Largest incoming frame body in bytes; a bigger one closes the connection with 1009. @default 4194304 */
  maxFrameSize?: number;
  /** Milliseconds a client has to send its hello before it is closed with 4408. @default 5000 */
  handshakeTimeout?: number;
}

/** What the server keeps per TCP socket, from accept to the socket's `close` event. */
interface Peer {
  readonly socket: Socket;
  readonly decoder: FrameDecoder;
  /** Set once the hello was accepted. */
  connection: ServerConnection<Socket> | undefined;
  /** The close that ends this connection: the one we sent, or the client's that we echoed. */
  closing: CloseInfo | undefined;
  /** True once we stopped reading: the close handshake is over or the stream broke. */
  done: boolean;
  /** Why the socket failed, for the reason of a 1006. */
  failure: string | undefined;
  handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  lingerTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The server side of the example TCP transport: length-prefixed frames over `node:net`.
 * `connection.native` is the `net.Socket` of the connection.
 *
 * @example
 * ```ts
 * const transport = new TcpSocketServer({ port: 0 });
 * const { url } = await transport.listen(); // 'tcp://127.0.0.1:41234'
 * ```
 */
export class TcpSocketServer extends AbstractSocketServer<Socket> {
  /** {@link TCP_CAPABILITIES}. */
  readonly supports: TransportCapabilities = TCP_CAPABILITIES;
  readonly #port: number;
  readonly #host: string;
  readonly #maxFrameSize: number;
  readonly #handshakeTimeout: number;
  readonly #closeTimeout: number;
  readonly #peers = new Map<Socket, Peer>();
  #server: Server | undefined;

  /** @throws {RangeError} when a number option is out of range. */
  constructor(options: TcpSocketServerOptions = {}) {
    super(options);
    const { port = 0, host = '127.0.0.1', maxFrameSize = DEFAULT_MAX_FRAME_SIZE } = options;
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      throw new RangeError(`port must be an integer in 0–65535, got ${port}`);
    }
    // The decoder validates maxFrameSize; building one here fails early, at construction.
    new FrameDecoder({ maxFrameSize });
    this.#port = port;
    this.#host = host;
    this.#maxFrameSize = maxFrameSize;
    this.#handshakeTimeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    // The base class keeps its own copy private; we need the value to bound a lingering close.
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
  }

  // ---------------------------------------------------------------- hooks

  protected async doListen(): Promise<ListenAddress> {
    const server = createServer(this.#onSocket);
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.#port, host: this.#host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.emitError(undefined, error));
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    return { url: `tcp://${host}:${port}`, port, host: address };
  }

  protected doSend(socket: Socket, frame: Frame): void {
    socket.write(encodeMessage(frame));
  }

  protected override doPrepare(frame: Frame): Buffer {
    // Encoded once; every recipient's socket writes the same bytes, which nobody mutates.
    return encodeMessage(frame);
  }

  protected override doSendPrepared(socket: Socket, data: unknown): void {
    socket.write(data as Buffer);
  }

  protected doCloseConnection(socket: Socket, code: number, reason: string): void {
    const peer = this.#peers.get(socket);
    if (peer === undefined) throw new Error('the socket is already gone');
    // Start the close handshake; it completes in #onClientClose (the client's answer) or in
    // #onSocketClose (the client hung up without one). The base class bounds the wait.
    peer.closing = { code, reason };
    socket.write(encodeFrame({ kind: 'close', code, reason }));
  }

  protected doTerminateConnection(socket: Socket): void {
    socket.destroy();
  }

  /** What Node has not yet handed to the kernel: the base class drops a peer that lets it grow. */
  protected override doBufferedAmount(socket: Socket): number {
    return socket.writableLength;
  }

  protected override doPing(socket: Socket): void {
    socket.write(encodeFrame({ kind: 'ping', data: NO_BYTES }));
  }

  protected async doClose(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    // Every accepted connection has been closed by now. What is left: sockets whose close
    // handshake is over but whose TCP teardown is not (dropped now), and handshakes in progress
    // (refused; they end when the client hangs up, or after closeTimeout).
    for (const peer of this.#peers.values()) {
      if (peer.connection !== undefined) peer.socket.destroy();
      else this.#refuse(peer, 1001, 'server shutting down');
    }
    await stopped;
  }

  // ---------------------------------------------------------------- socket events

  readonly #onSocket = (socket: Socket): void => {
    // Frames are small and latency matters more than packet count.
    socket.setNoDelay(true);
    const peer: Peer = {
      socket,
      decoder: new FrameDecoder({ maxFrameSize: Math.min(MAX_HELLO_SIZE, this.#maxFrameSize) }),
      connection: undefined,
      closing: undefined,
      done: false,
      failure: undefined,
      handshakeTimer: undefined,
      lingerTimer: undefined,
    };
    peer.handshakeTimer = setTimeout(
      () => this.#refuse(peer, 4408, 'handshake timeout'),
      this.#handshakeTimeout,
    );
    this.#peers.set(socket, peer);
    // These closures die with the socket; nothing long-lived keeps a listener for it.
    socket.on('data', (chunk: Buffer) => this.#onData(peer, chunk));
    // Always listened to: an unheard 'error' would crash the process. The 'close' that follows
    // reports the connection as 1006.
    socket.on('error', (error) => (peer.failure ??= error.message));
    socket.on('close', () => this.#onSocketClose(peer));
  };

  #onData(peer: Peer, chunk: Buffer): void {
    // After a close or a protocol error the rest of the stream is read and dropped, not parsed.
    if (peer.done) return;
    let frames: TcpFrame[];
    try {
      frames = peer.decoder.push(chunk);
    } catch (error) {
      this.#protocolError(peer, error as TcpProtocolError);
      return;
    }
    for (const frame of frames) {
      if (peer.done) return;
      this.#onFrame(peer, frame);
    }
  }

  #onFrame(peer: Peer, frame: TcpFrame): void {
    const connection = peer.connection;
    if (connection === undefined) {
      if (frame.kind === 'hello') this.#accept(peer, frame.hello);
      else
        this.#protocolError(peer, new TcpProtocolError(1002, `expected hello, got ${frame.kind}`));
      return;
    }
    switch (frame.kind) {
      case 'text':
      case 'binary':
        this.emitMessage(connection, frame.data);
        return;
      case 'ping':
        peer.socket.write(encodeFrame({ kind: 'pong', data: frame.data }));
        return;
      case 'pong':
        this.emitPong(connection);
        return;
      case 'close':
        this.#onClientClose(peer, connection, frame.code, frame.reason);
        return;
      case 'hello':
      case 'accept':
        this.#protocolError(peer, new TcpProtocolError(1002, `unexpected ${frame.kind} frame`));
        return;
    }
  }

  #accept(peer: Peer, hello: Hello): void {
    clearTimeout(peer.handshakeTimer);
    if (this.state !== 'listening') {
      this.#refuse(peer, 1001, 'server shutting down');
      return;
    }
    peer.decoder.maxFrameSize = this.#maxFrameSize;
    // The accept frame goes out before the connection event: frames a connection handler sends
    // then follow it on the stream, and the client opens before it reads them.
    peer.socket.write(encodeFrame({ kind: 'accept' }));
    peer.connection = this.acceptConnection(peer.socket, {
      url: hello.url,
      headers: hello.headers,
      query: hello.query,
      auth: hello.auth,
      remoteAddress: peer.socket.remoteAddress,
    });
  }

  #onClientClose(
    peer: Peer,
    connection: ServerConnection<Socket>,
    code: number,
    reason: string,
  ): void {
    if (peer.closing === undefined) {
      // The client started the close: answer with the same code, as RFC 6455 §5.5.1 does.
      peer.closing = { code, reason };
      peer.socket.write(encodeFrame({ kind: 'close', code, reason }));
    }
    const info = peer.closing;
    this.#finish(peer);
    this.emitDisconnect(connection, info);
  }

  #onSocketClose(peer: Peer): void {
    clearTimeout(peer.handshakeTimer);
    clearTimeout(peer.lingerTimer);
    this.#peers.delete(peer.socket);
    if (peer.connection === undefined) return;
    // Ignored by the base class when the disconnect was already reported.
    this.emitDisconnect(
      peer.connection,
      peer.closing ?? { code: 1006, reason: peer.failure ?? '' },
    );
  }

  // ---------------------------------------------------------------- ending

  #protocolError(peer: Peer, error: TcpProtocolError): void {
    const reason = error.message;
    // Before the handshake the peer is nobody yet: a stray port scan is not worth an error event.
    if (peer.connection !== undefined) this.emitError(peer.connection, error);
    this.#refuse(peer, error.closeCode, reason);
    if (peer.connection !== undefined)
      this.emitDisconnect(peer.connection, { code: error.closeCode, reason });
  }

  /** Sends a close frame (unless one was sent) and ends the socket without waiting for an answer. */
  #refuse(peer: Peer, code: number, reason: string): void {
    if (peer.closing === undefined) {
      peer.closing = { code, reason };
      peer.socket.write(encodeFrame({ kind: 'close', code, reason }));
    }
    this.#finish(peer);
  }

  /**
   * Stops reading and half-closes the socket, then gives the client `closeTimeout` ms to hang up.
   * Ending rather than destroying matters: destroying a socket with unread incoming data sends a
   * TCP reset, and the client may then lose the close frame we just wrote.
   */
  #finish(peer: Peer): void {
    peer.done = true;
    clearTimeout(peer.handshakeTimer);
    peer.socket.end();
    if (peer.lingerTimer === undefined) {
      peer.lingerTimer = setTimeout(() => peer.socket.destroy(), this.#closeTimeout);
      // A lingering socket must not keep the process alive on its own.
      peer.lingerTimer.unref();
    }
  }
}
