import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Server } from 'socket.io';

/** The http.Server events Socket.IO (through engine.io) listens to when it attaches. */
const EVENTS = ['request', 'upgrade', 'close', 'listening'] as const;

type Listener = (...args: unknown[]) => void;

/**
 * Attaches `io` to an HTTP(S) server the application owns, and returns how to take it off again.
 *
 * `io.close()` would close the application's server too, and Socket.IO has no detach. Attaching
 * replaces the server's `request` listeners with one that forwards non-Socket.IO requests to them,
 * and adds `upgrade`, `close` and `listening` listeners. So the listeners are snapshotted around
 * `attach()`; undoing removes exactly the ones it added and puts back the `request` listeners it
 * took away, in their order, ahead of any the application added since.
 */
export function attachReversibly(io: Server, server: HttpServer | HttpsServer): () => void {
  const before = new Map(EVENTS.map((event) => [event, server.listeners(event) as Listener[]]));
  io.attach(server);
  const added = new Map(
    EVENTS.map((event) => {
      const old = before.get(event) ?? [];
      return [event, (server.listeners(event) as Listener[]).filter((l) => !old.includes(l))];
    }),
  );
  return () => {
    for (const [event, listeners] of added) {
      for (const listener of listeners) server.removeListener(event, listener);
    }
    const current = server.listeners('request');
    const missing = (before.get('request') ?? []).filter((l) => !current.includes(l));
    for (const listener of missing.reverse()) server.prependListener('request', listener);
  };
}
