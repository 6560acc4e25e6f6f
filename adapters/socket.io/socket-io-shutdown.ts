import type { Server as HttpServer } from 'node:http';
import type { Socket as NetSocket } from 'node:net';

/**
 * Resolves when `work` settles or after `ms`, whichever comes first, and never rejects: shutdown
 * steps are best effort, and `close()` must never hang on one.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work.then(undefined, () => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes an HTTP server plugsocket owns. Idle keep-alive connections (long-polling) are closed at
 * once; upgraded WebSocket connections normally end with their close handshake, and any still open
 * after `ms` (a peer that never answers) are destroyed, so the promise settles within about `ms`.
 */
export async function closeHttpServer(
  server: HttpServer,
  sockets: Set<NetSocket>,
  ms: number,
): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    // An error only says the server was not listening (a failed listen): closed either way.
    server.close(() => resolve());
  });
  server.closeIdleConnections();
  await settleWithin(closed, ms);
  for (const socket of sockets) socket.destroy();
  await settleWithin(closed, ms);
}
