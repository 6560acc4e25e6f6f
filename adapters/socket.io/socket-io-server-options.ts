import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Server, ServerOptions } from 'socket.io';
import type { AbstractSocketServerOptions } from '../../src/index.js';

/**
 * Default `maxHttpBufferSize` of the Socket.IO servers plugsocket creates: 13 MiB, in bytes.
 *
 * The limit applies to the encoded packet, where text travels JSON-escaped: a control character
 * (one byte of UTF-8) becomes six (`\u0000`). Transports must carry every frame of up to 2 MiB
 * (twice the domain's default `maxPayload`) whatever its characters, so that an oversized frame
 * meets the domain's `PAYLOAD_TOO_LARGE` answer rather than a closed connection; 6 × 2 MiB plus
 * 1 MiB for the packet around it does. (Socket.IO's own default, 1e6 bytes, is smaller than a
 * 1 MiB frame.) A larger packet closes the connection (the peer sees 1006 `transport close`).
 */
export const DEFAULT_SOCKET_IO_MAX_HTTP_BUFFER_SIZE = 13 * 1024 * 1024;

/** Options shared by every way of running a {@link SocketIoServer}. */
export interface SocketIoServerBaseOptions extends AbstractSocketServerOptions {
  /**
   * The Socket.IO namespace clients connect to; it is the path of the url `listen()` reports.
   * @default '/'
   */
  namespace?: string;
}

/** Options of a {@link SocketIoServer} that creates its own Socket.IO `Server`. */
export interface SocketIoOwnedIoOptions {
  /**
   * Socket.IO's request path; clients must use the same `path`.
   * @default '/socket.io'
   */
  path?: string;
  /**
   * Any other Socket.IO `ServerOptions` (`cors`, `pingInterval`, `transports`, `adapter`, …), passed
   * through. plugsocket's defaults, which these override: `maxHttpBufferSize`
   * {@link DEFAULT_SOCKET_IO_MAX_HTTP_BUFFER_SIZE}, and `serveClient: false` (a transport has no
   * business serving the browser bundle from the application's server).
   */
  serverOptions?: Partial<Omit<ServerOptions, 'path'>>;
  /**
   * Milliseconds a TCP connection of the HTTP server has, from connecting, to complete its HTTP
   * request or WebSocket upgrade (request line and headers); one that has not is destroyed, so
   * peers that send their request slowly (a slow-loris) cannot hold sockets until Node's own
   * `headersTimeout` (60 s, checked only every 30 s). Applies to every connection of the server,
   * also the application's in attached mode. Long-polling is unaffected: each poll is a request
   * that completes its headers at once (a kept-alive connection's later requests are left to
   * Node's `keepAliveTimeout` and `headersTimeout`). Not Engine.IO's `serverOptions.upgradeTimeout`,
   * which bounds the switch of a connected client from long-polling to WebSocket. `Infinity`
   * turns it off. Not available with `io` (the application's server guards its own).
   * @default 10000 (10 s)
   */
  upgradeTimeout?: number;
}

/** A {@link SocketIoServer} on an HTTP server of its own. */
export interface SocketIoOwnServerOptions
  extends SocketIoServerBaseOptions, SocketIoOwnedIoOptions {
  /** Not set: the server creates and owns its HTTP server. */
  server?: undefined;
  /** Not set: the server creates and owns its Socket.IO server. */
  io?: undefined;
  /**
   * TCP port; 0 lets the OS pick a free one, which `listen()` then reports.
   * @default 0
   */
  port?: number;
  /**
   * Interface to bind. When omitted, Node's default applies (every interface), and the url
   * reported by `listen()` uses `127.0.0.1`.
   * @default undefined (all interfaces)
   */
  host?: string;
}

/** A {@link SocketIoServer} on an HTTP(S) server the application owns (and keeps listening). */
export interface SocketIoAttachedServerOptions
  extends SocketIoServerBaseOptions, SocketIoOwnedIoOptions {
  /**
   * The server to attach to. `close()` detaches and leaves it listening, with its own request
   * handlers back in place. `listen()` reports a url only when it already listens.
   */
  server: HttpServer | HttpsServer;
  /** Not set: the server creates and owns its Socket.IO server. */
  io?: undefined;
  /** Not allowed: the attached server decides where it listens. */
  port?: never;
  /** Not allowed: the attached server decides where it listens. */
  host?: never;
}

/** A {@link SocketIoServer} on one namespace of a Socket.IO `Server` the application already has. */
export interface SocketIoSharedServerOptions extends SocketIoServerBaseOptions {
  /**
   * The application's Socket.IO server. plugsocket serves `io.of(namespace)` and `close()` only
   * disconnects its own sockets and removes its listener: `io` stays open. Its options apply as
   * they are, so give it a `maxHttpBufferSize` that fits your largest frame once JSON-escaped
   * ({@link DEFAULT_SOCKET_IO_MAX_HTTP_BUFFER_SIZE} carries every frame of up to 2 MiB).
   */
  io: Server;
  /** Not set: `io` is already attached where it belongs. */
  server?: undefined;
  /** Not allowed: `io` decides where it listens. */
  port?: never;
  /** Not allowed: `io` decides where it listens. */
  host?: never;
  /** Not allowed: `io` has its path already. */
  path?: never;
  /** Not allowed: `io` has its options already. */
  serverOptions?: never;
  /** Not allowed: the HTTP server under `io` is the application's to guard. */
  upgradeTimeout?: never;
}

/** Options of {@link SocketIoServer}: one of its three modes. */
export type SocketIoServerOptions =
  SocketIoOwnServerOptions | SocketIoAttachedServerOptions | SocketIoSharedServerOptions;
