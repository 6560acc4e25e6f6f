import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import {
  WebSocketServer,
  type PerMessageDeflateOptions,
  type RawData,
  type ServerOptions,
  type WebSocket,
} from 'ws';
import {
  AbstractSocketServer,
  parseQuery,
  type AbstractSocketServerOptions,
  type Frame,
  type ListenAddress,
  type ServerConnection,
  type TransportCapabilities,
} from '../../src/index.js';
import { decodeAuthHeader, WS_AUTH_HEADER } from './auth-header.js';
import { addressOf, answerPlainRequest, pathnameOf, rejectUpgrade } from './http-upgrade.js';
import { fromWsError } from './ws-error.js';
import {
  checkUpgradeTimeout,
  guardUpgrades,
  type UpgradeGuard,
} from '../shared/upgrade-timeout.js';
import { wsBacklog } from '../shared/ws-backlog.js';
import { ownBytes, toBuffer, toFrame } from './ws-frame.js';

/** What the ws transport can do: everything the ports describe. */
export const WS_CAPABILITIES: TransportCapabilities = Object.freeze({
  binary: true,
  ping: true,
  handshakeHeaders: true,
  handshakeQuery: true,
  handshakeAuth: true,
  remoteAddress: true,
  structured: false,
});

/**
 * Default of the ws transport limit (`maxPayload` of {@link WsSocketServerOptions} and
 * `WsSocketOptions`): 4 MiB, in bytes, counted on the frame's content. It carries every frame of up
 * to 2 MiB, as every transport's default must: larger than the domain limits,
 * `SocketServerOptions.maxPayload` (1 MiB), so that an
 * oversized frame meets the domain's check (a `PAYLOAD_TOO_LARGE` error frame from the server)
 * rather than a closed connection.
 */
export const DEFAULT_WS_MAX_PAYLOAD = 4 * 1024 * 1024;

/** ws `ServerOptions` that {@link WsSocketServer} manages itself, so `wsOptions` cannot set them. */
export type WsManagedServerOption =
  | 'host'
  | 'port'
  | 'backlog'
  | 'server'
  | 'noServer'
  | 'path'
  | 'maxPayload'
  | 'perMessageDeflate'
  | 'clientTracking'
  | 'WebSocket';

/** Options shared by both ways of running a {@link WsSocketServer}. */
export interface WsSocketServerBaseOptions extends AbstractSocketServerOptions {
  /**
   * The request path (without query) that clients connect to. Upgrades to other paths are
   * answered with HTTP 404 on a server of our own and left alone on an attached one.
   * @default '/'
   */
  path?: string;
  /**
   * The ws transport limit: the largest frame, in bytes, that `ws` accepts from a client. A
   * bigger one closes that connection with 1009, and this server emits a `PAYLOAD_TOO_LARGE`
   * error event.
   *
   * Not the domain limit, `SocketServerOptions.maxPayload` (default 1 MiB), which `SocketServer`
   * checks on every transport: a frame over that one is answered with a `PAYLOAD_TOO_LARGE` error
   * frame and the connection stays open. Keep this one larger, as the defaults are.
   * @default 4194304 (4 MiB, {@link DEFAULT_WS_MAX_PAYLOAD})
   */
  maxPayload?: number;
  /**
   * permessage-deflate (RFC 7692). Off by default: compressing costs CPU and memory on every frame
   * of the hot path, and most real-time frames are too small to gain from it.
   * @default false
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /**
   * Milliseconds a TCP connection has, from connecting, to complete its HTTP request or WebSocket
   * upgrade (request line and headers); one that has not is destroyed, so peers that send their
   * request slowly (a slow-loris) cannot hold sockets until Node's own `headersTimeout` (60 s,
   * checked only every 30 s). Applies to every connection of the HTTP server, also one the
   * application passes as `server`; once a connection's first request or upgrade is in, Node's
   * `keepAliveTimeout` and `headersTimeout` govern it as before. `Infinity` turns it off.
   * @default 10000 (10 s)
   */
  upgradeTimeout?: number;
  /**
   * Any other ws `ServerOptions` (e.g. `verifyClient`, `handleProtocols`, `skipUTF8Validation`),
   * passed through as they are.
   */
  wsOptions?: Omit<ServerOptions, WsManagedServerOption>;
}

/** A {@link WsSocketServer} on an HTTP server of its own. */
export interface WsOwnServerOptions extends WsSocketServerBaseOptions {
  /** Not set: the server creates and owns its HTTP server. */
  server?: undefined;
  /**
   * TCP port; 0 lets the OS pick a free one, which `listen()` then reports.
   * @default 0
   */
  port?: number;
  /**
   * Interface to bind. When omitted, Node's (and ws's) default applies: every interface (`::`, or
   * `0.0.0.0` without IPv6), and the url reported by `listen()` uses `127.0.0.1`.
   * @default undefined (all interfaces)
   */
  host?: string;
  /**
   * Length of the queue of pending TCP connections. Raise it when thousands of clients connect
   * at once.
   * @default 511 (Node's default)
   */
  backlog?: number;
}

/**
 * A {@link WsSocketServer} sharing an HTTP(S) server the application owns, e.g. with an Express
 * app, Socket.IO or another plugsocket server at another path.
 */
export interface WsAttachedServerOptions extends WsSocketServerBaseOptions {
  /**
   * The HTTP(S) server whose upgrades to `path` this server handles. It is never closed by
   * plugsocket. `listen()` reports its url only when it already listens, so listen on it first.
   */
  server: HttpServer | HttpsServer;
  /** Not allowed: the attached server decides where it listens. */
  port?: never;
  /** Not allowed: the attached server decides where it listens. */
  host?: never;
  /** Not allowed: the attached server decides where it listens. */
  backlog?: never;
}

/** Options of {@link WsSocketServer}: a server of its own, or attached to an existing one. */
export type WsSocketServerOptions = WsOwnServerOptions | WsAttachedServerOptions;

// Shared option objects: ws spreads them into its own per-send options, so a literal per call
// would only add garbage on the broadcast path.
/** Where a socket keeps its plugsocket handle, for the shared listeners. */
const CONNECTION = Symbol('plugsocket.connection');
type HandledWebSocket = WebSocket & { [CONNECTION]?: ServerConnection<WebSocket> };

const SEND_TEXT = Object.freeze({ binary: false });
const SEND_BINARY = Object.freeze({ binary: true });

/**
 * The server side of the `ws` transport: one WebSocket server, on a port of its own or at a path
 * of an existing HTTP(S) server.
 *
 * Credentials travel in the `x-plugsocket-auth` request header (see {@link WS_AUTH_HEADER}); the
 * header stays in `Handshake.headers` as it was sent, so do not log headers verbatim.
 *
 * @example
 * ```ts
 * const transport = new WsSocketServer({ port: 8080, path: '/rt' });
 * const { url } = await transport.listen(); // 'ws://127.0.0.1:8080/rt'
 *
 * // or next to an existing app:
 * const shared = new WsSocketServer({ server: httpServer, path: '/rt' });
 * ```
 */
export class WsSocketServer extends AbstractSocketServer<WebSocket> {
  /** {@link WS_CAPABILITIES}. */
  readonly supports: TransportCapabilities = WS_CAPABILITIES;
  readonly #options: WsSocketServerOptions;
  readonly #path: string;
  #wss: WebSocketServer | undefined;
  #http: HttpServer | HttpsServer | undefined;
  readonly #upgradeTimeout: number;
  #guard: UpgradeGuard | undefined;
  /** Sockets with a `'drain'` listener of `doWatchDrain` pending: at most one each. */
  readonly #watched = new WeakSet<Duplex>();

  /**
   * @throws {TypeError} when `path` does not start with `/` or contains a query, or when
   *   `maxBufferedAmount`, `highWaterMark` or `upgradeTimeout` is not a number.
   * @throws {RangeError} when `maxPayload`, `port`, `maxBufferedAmount`, `highWaterMark` or
   *   `upgradeTimeout` is out of range.
   */
  constructor(options: WsSocketServerOptions = {}) {
    super(options);
    const path = options.path ?? '/';
    if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?')) {
      throw new TypeError(`path must start with '/' and have no query, got ${String(path)}`);
    }
    const { maxPayload, port } = options;
    if (maxPayload !== undefined && !(Number.isSafeInteger(maxPayload) && maxPayload > 0)) {
      throw new RangeError(`maxPayload must be a positive integer, got ${maxPayload}`);
    }
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      throw new RangeError(`port must be an integer in 0–65535, got ${port}`);
    }
    this.#upgradeTimeout = checkUpgradeTimeout(options.upgradeTimeout);
    this.#options = options;
    this.#path = path;
  }

  protected async doListen(): Promise<ListenAddress> {
    const options = this.#options;
    this.#wss = new WebSocketServer({
      ...options.wsOptions,
      noServer: true,
      // The base class tracks connections already; a second Set in ws would cost memory only.
      clientTracking: false,
      maxPayload: options.maxPayload ?? DEFAULT_WS_MAX_PAYLOAD,
      perMessageDeflate: options.perMessageDeflate ?? false,
    });
    if (options.server !== undefined) {
      const server = options.server;
      this.#http = server;
      server.on('upgrade', this.#onUpgrade);
      this.#guard = guardUpgrades(server, this.#upgradeTimeout);
      return server.listening ? addressOf(server, undefined, this.#path) : {};
    }
    const server = createServer(answerPlainRequest);
    this.#http = server;
    server.on('upgrade', this.#onUpgrade);
    this.#guard = guardUpgrades(server, this.#upgradeTimeout);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(
        { port: options.port ?? 0, host: options.host, backlog: options.backlog },
        () => {
          server.off('error', reject);
          resolve();
        },
      );
    });
    server.on('error', (error) => this.emitError(undefined, error));
    return addressOf(server, options.host, this.#path);
  }

  protected doSend(ws: WebSocket, frame: Frame): void {
    // ws infers text or binary from the type, so no options object is needed. Binary is copied:
    // ws would send the caller's bytes as they are when the socket gets to them.
    ws.send(typeof frame === 'string' ? frame : ownBytes(frame));
  }

  /** The memory the socket's backlog holds: queued bytes plus a per-chunk overhead (`wsBacklog`). */
  protected override doBufferedAmount(ws: WebSocket): number {
    return wsBacklog(ws);
  }

  /**
   * Reports the next `'drain'` of the TCP socket under `ws`, which Node emits once its write queue,
   * having passed the socket's own high-water mark, is empty again. Registered only while someone
   * waits in `whenDrained`.
   */
  protected override doWatchDrain(ws: WebSocket): void {
    const socket = (ws as unknown as { _socket?: Duplex | null })._socket;
    const connection = (ws as HandledWebSocket)[CONNECTION];
    if (socket == null || connection === undefined || this.#watched.has(socket)) return;
    this.#watched.add(socket);
    socket.once('drain', () => {
      this.#watched.delete(socket);
      this.emitDrain(connection);
    });
  }

  protected override doPrepare(frame: Frame): Buffer {
    return toBuffer(frame);
  }

  protected override doSendPrepared(ws: WebSocket, data: unknown, frame: Frame): void {
    ws.send(data as Buffer, typeof frame === 'string' ? SEND_TEXT : SEND_BINARY);
  }

  protected doCloseConnection(ws: WebSocket, code: number, reason: string): void {
    ws.close(code, reason);
  }

  protected doTerminateConnection(ws: WebSocket): void {
    ws.terminate();
  }

  protected override doPing(ws: WebSocket): void {
    ws.ping();
  }

  protected async doClose(): Promise<void> {
    const server = this.#http;
    this.#http = undefined;
    server?.off('upgrade', this.#onUpgrade);
    this.#guard?.release();
    this.#guard = undefined;
    // In noServer mode this only stops handshakes still in progress (they get 503).
    this.#wss?.close();
    this.#wss = undefined;
    if (server === undefined || server === this.#options.server) return;
    await new Promise<void>((resolve) => {
      // The callback also runs (with ERR_SERVER_NOT_RUNNING) when listen() had failed.
      server.close(() => resolve());
      // Keep-alive and half-open HTTP connections would otherwise hold close() open.
      server.closeAllConnections();
    });
  }

  // ---------------------------------------------------------------- internals

  // One set of listeners per server, shared by every connection: ws calls them with `this` set
  // to the socket, whose handle is stored on it. (An IIFE captures the server without a closure
  // per connection and without spreading arguments on the message path.)
  readonly #onWsMessage = ((server: WsSocketServer) =>
    function (this: WebSocket, data: RawData, isBinary: boolean): void {
      server.emitMessage((this as HandledWebSocket)[CONNECTION]!, toFrame(data, isBinary));
    })(this);
  readonly #onWsClose = ((server: WsSocketServer) =>
    function (this: WebSocket, code: number, reason: Buffer): void {
      server.emitDisconnect((this as HandledWebSocket)[CONNECTION]!, {
        code,
        reason: reason.toString('utf8'),
      });
    })(this);
  readonly #onWsPong = ((server: WsSocketServer) =>
    function (this: WebSocket): void {
      server.emitPong((this as HandledWebSocket)[CONNECTION]!);
    })(this);
  readonly #onWsError = ((server: WsSocketServer) =>
    function (this: WebSocket, error: Error): void {
      server.emitError((this as HandledWebSocket)[CONNECTION], fromWsError(error));
    })(this);

  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Every upgrade of the server passes here, ours or not: its request is in, in time.
    this.#guard?.arrived(socket);
    if (pathnameOf(req.url) !== this.#path) {
      // On a shared server the upgrade may belong to Socket.IO or another plugsocket server.
      if (this.#options.server === undefined) rejectUpgrade(socket, 404);
      return;
    }
    const wss = this.#wss;
    if (wss === undefined || this.state !== 'listening') {
      rejectUpgrade(socket, 503);
      return;
    }
    const auth = decodeAuthHeader(req.headers[WS_AUTH_HEADER]);
    if (auth === null) {
      rejectUpgrade(socket, 400);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req, auth));
  };

  #accept(ws: WebSocket, req: IncomingMessage, auth: Record<string, unknown> | undefined): void {
    const connection = this.acceptConnection(ws, {
      url: req.url,
      headers: req.headers,
      query: parseQuery(req.url),
      auth,
      remoteAddress: req.socket.remoteAddress,
    });
    // Registered even for a connection the base class dropped: ws throws on an unheard 'error'.
    // ws emits nothing before the next tick, so nothing is missed by registering after accept.
    (ws as HandledWebSocket)[CONNECTION] = connection;
    ws.on('message', this.#onWsMessage);
    ws.on('close', this.#onWsClose);
    ws.on('pong', this.#onWsPong);
    ws.on('error', this.#onWsError);
  }
}
