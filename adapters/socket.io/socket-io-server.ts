import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Namespace, type Socket } from 'socket.io';
import {
  AbstractSocketServer,
  parseQuery,
  PlugSocketError,
  type AnyFrame,
  type CloseInfo,
  type HandshakeInit,
  type ListenAddress,
  type ServerConnection,
  type TransportCapabilities,
} from '../../src/index.js';
import { attachReversibly } from './socket-io-attachment.js';
import { socketIoBacklog } from './socket-io-backlog.js';
import { checkUpgradeTimeout, guardUpgrades } from '../shared/upgrade-timeout.js';
import { SOCKET_IO_CAPABILITIES } from './socket-io-capabilities.js';
import { closeInfoFor } from './socket-io-close-reasons.js';
import {
  DEFAULT_SOCKET_IO_MAX_HTTP_BUFFER_SIZE,
  type SocketIoOwnServerOptions,
  type SocketIoServerOptions,
} from './socket-io-server-options.js';
import { closeHttpServer, HttpSockets, settleWithin } from './socket-io-shutdown.js';
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

const DEFAULT_CLOSE_TIMEOUT = 5_000;

/** What the adapter keeps per Socket.IO socket. */
/** Where a socket keeps its plugsocket state, for the shared listeners. */
const PEER = Symbol('plugsocket.peer');
type PeerSocket = Socket & { [PEER]?: Peer };

interface Peer {
  connection: ServerConnection<Socket> | undefined;
  /** The last `sendMany` that listed this socket (see `doSendMany`). */
  mark: number;
  /** The `{ code, reason }` either side announced first with the reserved close event. */
  closeInfo: CloseInfo | undefined;
  /** The client advertised that it answers the close event (see `SOCKET_IO_EVENTS`). */
  answersClose: boolean;
}

/**
 * The Socket.IO server transport. Frames travel as the reserved event `m` (text and binary) or `v`
 * (structured: the domain's envelopes, as JSON values Socket.IO serialises once), close codes as `c`
 * answered by the peer's disconnect, pings as `p` answered by `o`, in both directions (see
 * `SOCKET_IO_EVENTS`).
 * A disconnect without an announced code is mapped by `SOCKET_IO_DISCONNECT_CODES`. The native
 * object of each connection is the Socket.IO server `Socket`.
 *
 * `prepare()` keeps the port's default (the frame itself): Socket.IO encodes once for many
 * recipients only inside its room broadcast (`io.to(room).emit`), which a per-connection
 * `sendPrepared()` cannot reach through its public API.
 *
 * @example
 * ```ts
 * const transport = new SocketIoServer({ port: 0, host: '127.0.0.1', namespace: '/chat' });
 * const server = new SocketServer(transport);
 * const { url } = await transport.listen(); // http://127.0.0.1:54321/chat
 * ```
 */
export class SocketIoServer extends AbstractSocketServer<Socket, AnyFrame> {
  /** Everything: see {@link SOCKET_IO_CAPABILITIES}. */
  readonly supports: TransportCapabilities = SOCKET_IO_CAPABILITIES;
  readonly #options: SocketIoServerOptions;
  readonly #namespaceName: string;
  readonly #closeTimeout: number;
  /** Engine connections closing after `disconnect(true)`; `close()` lets them flush first. */
  readonly #draining = new Set<Promise<void>>();
  /** The sockets of the HTTP server it owns, once listening. */
  #httpSockets: HttpSockets | undefined;
  #io: Server | undefined;
  #namespace: Namespace | undefined;
  #httpServer: HttpServer | undefined;
  #detach: (() => void) | undefined;
  /** Numbers the `sendMany` calls, to mark their recipients. */
  #sendManyMark = 0;
  /** Socket.IO's connection state recovery is on (its server events then carry an offset). */
  #recoversState = false;
  /** When `close()` started: every step of it shares one `closeTimeout` from then. */
  #closeStarted: number | undefined;
  readonly #upgradeTimeout: number;
  /** Removes the `upgradeTimeout` listeners from the HTTP server. */
  #unguard: (() => void) | undefined;
  /** Engine.IO connections with a `'drain'` listener of `doWatchDrain` pending: one each. */
  readonly #watched = new WeakSet<object>();

  /**
   * @param options one of three modes: a port of its own (`{ port, host }`, the default), attached
   *   to the application's HTTP server (`{ server }`), or a namespace of the application's
   *   Socket.IO server (`{ io, namespace }`). Nothing is opened before `listen()`.
   * @throws {TypeError} when both `io` and `server` are given, `namespace` lacks its leading `/`,
   *   `upgradeTimeout` is given with `io`, or `maxBufferedAmount`, `highWaterMark` or
   *   `upgradeTimeout` is not a number.
   * @throws {RangeError} when `maxBufferedAmount`, `highWaterMark` or `upgradeTimeout` is out of
   *   range.
   */
  constructor(options: SocketIoServerOptions = {}) {
    super(options);
    if (options.io !== undefined && options.server !== undefined) {
      throw new TypeError('SocketIoServer: pass `io` or `server`, not both');
    }
    const namespace = options.namespace ?? '/';
    if (typeof namespace !== 'string' || !namespace.startsWith('/')) {
      throw new TypeError(
        `SocketIoServer: namespace must start with '/', got ${String(namespace)}`,
      );
    }
    const { upgradeTimeout } = options as { upgradeTimeout?: unknown };
    if (options.io !== undefined && upgradeTimeout !== undefined) {
      throw new TypeError(
        'SocketIoServer: upgradeTimeout applies to an HTTP server plugsocket attaches to; with `io`, the application guards its own',
      );
    }
    this.#upgradeTimeout = checkUpgradeTimeout(upgradeTimeout);
    this.#options = options;
    this.#namespaceName = namespace;
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
  }

  /** True when plugsocket created the Socket.IO server, so it may close engine connections. */
  get #ownsIo(): boolean {
    return this.#options.io === undefined;
  }

  protected async doListen(): Promise<ListenAddress> {
    const options = this.#options;
    let address: AddressInfo | string | null | undefined;
    if (options.io !== undefined) {
      this.#io = options.io;
      address = (options.io.httpServer as HttpServer | undefined)?.address();
    } else {
      const io = new Server({
        parser: boundedSocketIoParser,
        maxHttpBufferSize: DEFAULT_SOCKET_IO_MAX_HTTP_BUFFER_SIZE,
        serveClient: false,
        ...options.serverOptions,
        path: options.path ?? '/socket.io',
      });
      this.#io = io;
      if (options.server !== undefined) {
        this.#detach = attachReversibly(io, options.server);
        this.#unguard = guardUpgrades(options.server, this.#upgradeTimeout, {
          listenToUpgrades: true,
        }).release;
        address = options.server.address();
      } else {
        address = await this.#listenOwn(io, options);
      }
    }
    // Not in Socket.IO's public types; the same option object Socket.IO itself reads.
    this.#recoversState =
      (this.#io as unknown as { opts?: { connectionStateRecovery?: unknown } }).opts
        ?.connectionStateRecovery !== undefined;
    this.#namespace = this.#io.of(this.#namespaceName);
    // Advertises the close handshake before Socket.IO's connect packet, so that a client knows it
    // before it can close. With state recovery an emit goes through the socket's own room, which
    // it joins only on connecting: then the advertisement follows the connect packet.
    this.#namespace.use(this.#advertise);
    this.#namespace.on('connection', this.#onConnection);
    if (address === null || address === undefined || typeof address === 'string') return {};
    const host = address.address;
    const urlHost =
      host === '::' || host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    return {
      url: `http://${urlHost}:${address.port}${this.#namespaceName}`,
      port: address.port,
      host,
    };
  }

  /**
   * The memory the socket's send backlog holds: Engine.IO's queued packets and, over WebSocket,
   * the bytes queued in the socket under it, each with an estimate of its overhead
   * (`socketIoBacklog`). Checked before each send and, per recipient, before each broadcast.
   */
  protected override doBufferedAmount(socket: Socket): number {
    return socketIoBacklog(socket);
  }

  /**
   * Reports the next `'drain'` of the Engine.IO connection, which it emits each time it hands its
   * write buffer to the transport. Over WebSocket the bytes may then wait in the socket under it;
   * the base class's poll sees them go. Registered only while someone waits in `whenDrained`.
   */
  protected override doWatchDrain(socket: Socket): void {
    const conn = socket.conn;
    const connection = (socket as PeerSocket)[PEER]?.connection;
    if (connection === undefined || this.#watched.has(conn)) return;
    this.#watched.add(conn);
    conn.once('drain', () => {
      this.#watched.delete(conn);
      this.emitDrain(connection);
    });
  }

  protected doSend(socket: Socket, frame: AnyFrame): void {
    emitFrame(socket, ownFrame(frame), false);
  }

  /** A prepared frame is already the base class's own snapshot: no copy per recipient. */
  protected override doSendPrepared(socket: Socket, _data: unknown, frame: AnyFrame): void {
    emitFrame(socket, frame, false);
  }

  /**
   * One Socket.IO broadcast, so Socket.IO encodes the packet once for all recipients, as `io.emit`
   * does, instead of once per socket. When the recipients are most of the namespace, it goes to
   * the whole namespace except the sockets not listed, which Socket.IO walks without a room lookup
   * per recipient; otherwise to the recipients' own rooms (every socket is in a room named by its
   * id). `local`, so a cluster adapter on the app's io does not publish it to peers.
   */
  protected override doSendMany(
    connections: readonly ServerConnection<Socket>[],
    frame: AnyFrame,
  ): number {
    const namespace = this.#namespace;
    if (namespace === undefined) return 0;
    // One copy for every recipient: the broadcast encodes once and keeps it until written.
    frame = ownFrame(frame);
    const sockets = namespace.sockets;
    // With connection state recovery, Socket.IO replays a broadcast to sessions that recover by its
    // rooms and exclusions, so only the recipients' own rooms keep it to them.
    if (connections.length * 2 >= sockets.size && !this.#recoversState) {
      // Marks instead of a set of ids: one field write per recipient, then one read per socket.
      const mark = ++this.#sendManyMark;
      for (let i = 0; i < connections.length; i++) {
        const peer = (connections[i].native as PeerSocket)[PEER];
        if (peer !== undefined) peer.mark = mark;
      }
      const except: string[] = [];
      let excludable = true;
      for (const [id, socket] of sockets) {
        if ((socket as PeerSocket)[PEER]?.mark === mark) continue;
        except.push(id);
        // Excluded through its own room: a socket that left it (the app may) could not be.
        if (!socket.rooms.has(id)) excludable = false;
      }
      if (excludable) {
        emitFrame(
          except.length === 0 ? namespace.local : namespace.local.except(except),
          frame,
          false,
        );
        return connections.length;
      }
    }
    const ids = new Array<string>(connections.length);
    for (let i = 0; i < connections.length; i++) ids[i] = connections[i].native.id;
    emitFrame(namespace.local.to(ids), frame, false);
    return connections.length;
  }

  /**
   * Announces the close with the reserved close event and keeps reading: the client answers by
   * disconnecting, after everything it sent before it heard of the close, so those frames still
   * arrive (the base class delivers while closing). The disconnect is reported when that answer
   * arrives, with the code and reason sent here; without one, the base class drops the connection
   * after `closeTimeout`.
   */
  protected doCloseConnection(socket: Socket, code: number, reason: string): void {
    const peer = (socket as PeerSocket)[PEER];
    if (peer !== undefined) peer.closeInfo ??= { code, reason };
    socket.emit(SOCKET_IO_EVENTS.CLOSE, code, reason);
    // A client that did not advertise it answers (a plain Socket.IO client, an older plugsocket)
    // never would: disconnect at once, after the close event, as before the handshake existed.
    if (peer?.answersClose !== true) this.#answerClose(socket);
  }

  /** Answers a client's close event by disconnecting, after everything sent before it. */
  #answerClose(socket: Socket): void {
    if (!this.#ownsIo) {
      // On the application's io the engine connection may carry its other namespaces.
      socket.disconnect();
      return;
    }
    // `close()` waits for the engine connection to end before `io.engine.close()`, which would
    // discard the disconnect packet if it were still queued.
    const conn = socket.conn;
    if (conn.readyState !== 'closed') {
      const drained = new Promise<void>((resolve) => conn.once('close', () => resolve()));
      this.#draining.add(drained);
      void drained.then(() => this.#draining.delete(drained));
    }
    // Over WebSocket, closing the engine connection too (after it has flushed) frees it even if the
    // client never hangs up. Not over long-polling: there Engine.IO would hold the closing transport
    // for up to 30 s waiting for the client's next poll, keeping the process alive; the client
    // hangs up on the disconnect packet, and Engine.IO's heartbeat ends it if it does not.
    socket.disconnect(conn.transport.name !== 'polling');
  }

  protected doTerminateConnection(socket: Socket): void {
    // A close announced before is not how this one ends: it is reported as dropped (1006), also
    // when a close timed out or `terminateConnection()` cuts one short.
    const peer = (socket as PeerSocket)[PEER];
    if (peer !== undefined) peer.closeInfo = undefined;
    // Closing the engine connection without the disconnect packet: the client sees `transport
    // close`, i.e. 1006, as with a dropped TCP connection.
    socket.conn.close(true);
  }

  protected override doPing(socket: Socket): void {
    socket.emit(SOCKET_IO_EVENTS.PING);
  }

  /** Remembers when closing started, for the one deadline of {@link doClose}. */
  override close(code?: number, reason?: string): Promise<void> {
    this.#closeStarted ??= Date.now();
    return super.close(code, reason);
  }

  protected async doClose(): Promise<void> {
    this.#namespace?.off('connection', this.#onConnection);
    const io = this.#io;
    if (io === undefined || !this.#ownsIo) return;
    // One deadline for the whole close: the connections' closes already took their share, so a
    // peer that never answered is not waited for again by each step below.
    const deadline = (this.#closeStarted ?? Date.now()) + this.#closeTimeout;
    const left = (): number => Math.max(0, deadline - Date.now());
    await settleWithin(Promise.all(this.#draining), left());
    // Our io has no namespaces but the main one and ours; their adapters (e.g. a Redis adapter
    // given in `serverOptions`) hold subscriptions that `io.close()` would have released.
    const namespaces = new Set([io.sockets, io.of(this.#namespaceName)]);
    await settleWithin(
      Promise.allSettled([...namespaces].map(async (namespace) => namespace.adapter.close())),
      left(),
    );
    // Also drops engine connections that never joined our namespace.
    io.engine.close();
    this.#unguard?.();
    this.#unguard = undefined;
    if (this.#detach !== undefined) {
      this.#detach();
      this.#detach = undefined;
    }
    if (this.#httpServer !== undefined && this.#httpSockets !== undefined) {
      await closeHttpServer(this.#httpServer, this.#httpSockets, left());
    }
  }

  async #listenOwn(
    io: Server,
    options: SocketIoOwnServerOptions,
  ): Promise<AddressInfo | string | null> {
    // Requests outside Socket.IO's path are answered 404, as `new Server(port)` does: engine.io
    // forwards them to the server's own handlers and, without one, they would hang.
    const http = createServer((_request, response) => {
      response.writeHead(404).end();
    });
    this.#httpServer = http;
    io.attach(http);
    this.#unguard = guardUpgrades(http, this.#upgradeTimeout, { listenToUpgrades: true }).release;
    this.#httpSockets = new HttpSockets(http);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen({ port: options.port ?? 0, host: options.host }, () => {
        http.off('error', reject);
        resolve();
      });
    });
    http.on('error', (error) => this.emitError(undefined, error));
    return http.address();
  }

  readonly #onConnection = (socket: Socket): void => {
    if (this.state !== 'listening') {
      // Closing: leave the engine connection alone, it may be the application's.
      socket.disconnect();
      return;
    }
    (socket as PeerSocket)[PEER] = {
      connection: undefined,
      mark: 0,
      closeInfo: undefined,
      answersClose: socket.handshake.query[SOCKET_IO_ANSWERS_CLOSE_QUERY] === '1',
    };
    if (this.#recoversState) socket.emit(SOCKET_IO_EVENTS.ANSWERS_CLOSE);
    // `onAny` runs as each packet is decoded, whereas `on(event)` listeners run a tick later:
    // only `onAny` sees the close event before the disconnect packet that follows it.
    socket.onAny(this.#onSocketEvent);
    socket.on('error', this.#onSocketError);
    socket.once('disconnect', this.#onSocketDisconnect);
    const connection = this.acceptConnection(socket, handshakeOf(socket));
    const peer = (socket as PeerSocket)[PEER];
    if (peer !== undefined) peer.connection = connection;
  };

  /** Namespace middleware: tells each client, before it connects, that this server answers `c`. */
  readonly #advertise = (socket: Socket, next: (error?: Error) => void): void => {
    if (this.state === 'listening' && !this.#recoversState) {
      socket.emit(SOCKET_IO_EVENTS.ANSWERS_CLOSE);
    }
    next();
  };

  // One set of listeners per server, shared by every socket: Socket.IO calls them with `this` set
  // to the socket, which carries its peer state under a symbol. No closures per connection.
  readonly #onSocketEvent = ((server: SocketIoServer) =>
    function (this: Socket, event: string, ...args: unknown[]): void {
      const peer = (this as PeerSocket)[PEER];
      const connection = peer?.connection;
      if (connection === undefined) return;
      switch (event) {
        case SOCKET_IO_EVENTS.STRUCTURED:
          server.emitMessage(connection, toStructuredFrame(args));
          break;
        case SOCKET_IO_EVENTS.STRUCTURED_LIST:
          if (Array.isArray(args[0])) server.emitMessage(connection, args[0] as unknown[]);
          else {
            server.emitError(
              connection,
              new PlugSocketError('INVALID_MESSAGE', 'a long structured frame must be an array'),
            );
          }
          break;
        case SOCKET_IO_EVENTS.FRAME: {
          const frame = toFrame(args[0]);
          if (frame === undefined) {
            server.emitError(
              connection,
              new PlugSocketError('INVALID_MESSAGE', 'frame is neither text nor binary'),
            );
          } else {
            server.emitMessage(connection, frame);
          }
          break;
        }
        case SOCKET_IO_EVENTS.CLOSE: {
          // The client closes and keeps reading until the server answers (also when both
          // closed at once); a close this side started keeps its own code. A close event with a
          // code that may not be sent counts as none: the client's own disconnect decides.
          const announced = parseCloseEvent(args[0], args[1]);
          if (announced === undefined) break;
          peer!.closeInfo ??= announced;
          server.#answerClose(this);
          break;
        }
        case SOCKET_IO_EVENTS.PONG:
          server.emitPong(connection);
          break;
        case SOCKET_IO_EVENTS.PING:
          // A client's own liveness probe: answered here, below the domain, as a WebSocket
          // server's stack answers a ping frame. It reaches no listener of the port.
          this.emit(SOCKET_IO_EVENTS.PONG);
          break;
      }
    })(this);

  readonly #onSocketError = ((server: SocketIoServer) =>
    function (this: Socket, error: Error): void {
      const connection = (this as PeerSocket)[PEER]?.connection;
      if (connection !== undefined) server.emitError(connection, error);
    })(this);

  readonly #onSocketDisconnect = ((server: SocketIoServer) =>
    function (this: Socket, reason: string): void {
      this.offAny(server.#onSocketEvent);
      this.off('error', server.#onSocketError);
      const peer = (this as PeerSocket)[PEER];
      if (peer === undefined) return;
      const info = closeInfoFor(reason, peer.closeInfo);
      const report = (): void => {
        if (peer.connection !== undefined) server.emitDisconnect(peer.connection, info);
      };
      // A close from inside the application's `connection` handler disconnects before
      // `acceptConnection` has returned the handle.
      if (peer.connection === undefined) queueMicrotask(report);
      else report();
    })(this);
}

/**
 * The plain-value handshake of a Socket.IO socket, without Engine.IO's own query parameters.
 *
 * Engine.IO sets `EIO` and `transport` (and `t`, when polling) on every request, overwriting any
 * the client gives; they are its own, not the application's, so they are left out of both `query`
 * and `url`, as is plugsocket's own `plugsocket-close` (see `SOCKET_IO_ANSWERS_CLOSE_QUERY`). `url` is the Engine.IO request (e.g. `/socket.io/?room=1`): its path is Socket.IO's
 * `path`, not the namespace. The query is read from that url rather than from Socket.IO's
 * `handshake.query`, whose last value wins when a key repeats; here the first does, as the port
 * says. (Null-prototype, so that a "__proto__" parameter stays data; the base class copies it.)
 */
function handshakeOf(socket: Socket): HandshakeInit {
  const { handshake } = socket;
  const url = withoutEngineParameters(handshake.url);
  return {
    url,
    headers: handshake.headers,
    query: parseQuery(url),
    auth: handshake.auth,
    remoteAddress: handshake.address,
  };
}

/** `url` without the query parameters Engine.IO adds; the rest is left as the client sent it. */
function withoutEngineParameters(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  if (q === -1) return url;
  const pairs = url.slice(q + 1).split('&');
  const polling = pairs.includes('transport=polling');
  const kept = pairs.filter((pair) => {
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    return !(
      name === 'EIO' ||
      name === 'transport' ||
      (polling && name === 't') ||
      name === SOCKET_IO_ANSWERS_CLOSE_QUERY
    );
  });
  return kept.length === 0 ? url.slice(0, q) : `${url.slice(0, q)}?${kept.join('&')}`;
}
