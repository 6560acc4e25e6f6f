import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';

// Support code shared by the adapters that run on a Node HTTP server (ws, Socket.IO).

/**
 * Default of `upgradeTimeout`: 10 s for a TCP connection to complete its HTTP request or
 * WebSocket upgrade (its request line and headers) before it is destroyed.
 */
export const DEFAULT_UPGRADE_TIMEOUT = 10_000;

/**
 * Checks an `upgradeTimeout` option: a positive integer of milliseconds (at most 2^31 - 1, the
 * longest timer Node runs), or `Infinity` for none.
 * @throws {TypeError} when not a number.
 * @throws {RangeError} when out of range.
 * @internal
 */
export function checkUpgradeTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_UPGRADE_TIMEOUT;
  if (typeof value !== 'number') {
    throw new TypeError(`upgradeTimeout must be a number, got ${typeof value}`);
  }
  if (value !== Infinity && !(Number.isInteger(value) && value > 0 && value <= 2 ** 31 - 1)) {
    throw new RangeError(
      `upgradeTimeout must be a positive integer of milliseconds or Infinity, got ${value}`,
    );
  }
  return value;
}

/** A TLS socket reports the TCP socket under it as `_parent`. */
type Layered = Duplex & { _parent?: Duplex | null };

/** The listeners {@link guardUpgrades} added, and how to tell it a request arrived. */
export interface UpgradeGuard {
  /** Stops the timer of the connection `socket` belongs to: its request or upgrade is in. */
  readonly arrived: (socket: Duplex) => void;
  /** Removes the listeners (timers already running still fire). */
  readonly release: () => void;
}

/**
 * Destroys every TCP connection of `server` that has not completed an HTTP request or upgrade
 * within `timeout` ms of connecting: a peer that sends its request line and headers slowly (a
 * slow-loris) otherwise holds a socket until Node's `headersTimeout` (60 s, checked every 30 s).
 * The timer starts on the server's `connection` event and stops on its first `request` or
 * upgrade (whoever handles it); a connection that closes before either is forgotten when its
 * timer fires (destroying it again does nothing); later requests on a kept-alive
 * connection are left to Node's own `keepAliveTimeout` and `headersTimeout`. Works on a server the
 * application owns too: it only adds listeners (`connection`, `request`, maybe `upgrade`), which
 * `release()` removes; timers already running then still fire, which only ends connections still
 * stuck in their request.
 *
 * With `listenToUpgrades` it also listens to `upgrade`; without it, the caller's own `upgrade`
 * listener, which sees every upgrade of the server, calls `arrived(socket)`.
 * @internal
 */
export function guardUpgrades(
  server: HttpServer | HttpsServer,
  timeout: number,
  options: { listenToUpgrades?: boolean } = {},
): UpgradeGuard {
  if (timeout === Infinity) return { arrived: () => undefined, release: () => undefined };
  // Timers by connection, held only until the request arrives or the timer fires: nothing is
  // added to the socket itself, and an upgraded connection keeps no trace of the guard.
  const timers = new Map<Duplex, ReturnType<typeof setTimeout>>();
  const onConnection = (socket: Duplex): void => {
    const timer = setTimeout(() => {
      timers.delete(socket);
      socket.destroy();
    }, timeout);
    timer.unref();
    timers.set(socket, timer);
  };
  const arrived = (arriving: Duplex): void => {
    // An https server reports the TCP socket on 'connection' and the TLS socket on the request.
    let socket = arriving;
    let timer = timers.get(socket);
    if (timer === undefined) {
      const parent = (arriving as Layered)._parent;
      if (parent == null) return;
      socket = parent;
      timer = timers.get(socket);
      if (timer === undefined) return;
    }
    clearTimeout(timer);
    timers.delete(socket);
  };
  const onRequest = (req: IncomingMessage): void => arrived(req.socket);
  const upgrades = options.listenToUpgrades === true;
  server.on('connection', onConnection);
  server.on('request', onRequest);
  if (upgrades) server.on('upgrade', onRequest);
  return {
    arrived,
    release: () => {
      server.off('connection', onConnection);
      server.off('request', onRequest);
      if (upgrades) server.off('upgrade', onRequest);
    },
  };
}
