import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import type { Duplex } from 'node:stream';

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
 * The sockets of an HTTP server plugsocket owns, and what each is doing, so that a shutdown waits
 * only for those that carry something: a response in progress (a long-polling request) or an
 * upgraded WebSocket. Made after Socket.IO has attached, so that its `request` listener sees
 * every request.
 */
export class HttpSockets {
  readonly #all = new Set<NetSocket>();
  /** Responses in progress per socket. */
  readonly #answering = new Map<NetSocket, number>();
  readonly #upgraded = new WeakSet<Duplex>();

  constructor(server: HttpServer) {
    server.on('connection', (socket: NetSocket) => {
      this.#all.add(socket);
      socket.once('close', () => {
        this.#all.delete(socket);
        this.#answering.delete(socket);
      });
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
      this.#answering.set(socket, (this.#answering.get(socket) ?? 0) + 1);
      response.once('close', () => {
        const left = (this.#answering.get(socket) ?? 1) - 1;
        if (left > 0) this.#answering.set(socket, left);
        else this.#answering.delete(socket);
      });
    });
    server.on('upgrade', (_request: IncomingMessage, socket: Duplex) => this.#upgraded.add(socket));
  }

  /**
   * Destroys the sockets that carry nothing: idle keep-alive connections, and peers that never
   * completed a request (half a request line, say), which `server.close()` would otherwise wait
   * for until Node's `headersTimeout`.
   */
  dropIdle(): void {
    for (const socket of this.#all) {
      if (!this.#answering.has(socket) && !this.#upgraded.has(socket)) socket.destroy();
    }
  }

  /** Destroys every socket still open. */
  destroyAll(): void {
    for (const socket of this.#all) socket.destroy();
  }
}

/**
 * Closes an HTTP server plugsocket owns. Sockets that carry nothing (idle keep-alive connections,
 * half-received requests) are closed at once; responses in progress and upgraded WebSocket
 * connections normally end by themselves, and any still open after `ms` (a peer that never
 * answers) are destroyed, so the promise settles within about `ms`.
 */
export async function closeHttpServer(
  server: HttpServer,
  sockets: HttpSockets,
  ms: number,
): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    // An error only says the server was not listening (a failed listen): closed either way.
    server.close(() => resolve());
  });
  sockets.dropIdle();
  await settleWithin(closed, ms);
  sockets.destroyAll();
  await settleWithin(closed, ms);
}
