// One-flaw variants of the ws adapter, each a realistic adapter-author bug that the transport
// contract once let through (found by an outside audit; the tests that now catch them are named in
// ../broken-ws-adapters.test.ts). `reference` is the unmodified ws adapter, the control.
import { createServer, type Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type {
  AbstractSocket,
  AbstractSocketServer,
  Frame,
  HandshakeInit,
  ListenAddress,
  ServerConnection,
} from '../../../src/index.js';
import { WsSocket, WsSocketServer } from '../../../adapters/ws/index.js';

const HOST = '127.0.0.1';
/** The ws send buffer above which the send-queue variant starts queueing in the adapter. */
const SOFT_HIGH_WATER = 256 * 1024;

/**
 * A ws server that owns its HTTP server and attaches WsSocketServer to it (the documented
 * "attached" mode), closing it after the ws part. The base of the listen-error variant.
 */
class OwnHttpWsServer extends WsSocketServer {
  readonly http: HttpServer;
  readonly want: { port: number; host: string };

  constructor(want: { port: number; host: string }) {
    const http = createServer((_request, response) => response.writeHead(426).end());
    super({ server: http });
    this.http = http;
    this.want = want;
  }

  protected override async doListen(): Promise<ListenAddress> {
    await this.listenHttp();
    return super.doListen();
  }

  protected listenHttp(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen({ port: this.want.port, host: this.want.host }, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
  }

  protected override async doClose(): Promise<void> {
    await super.doClose();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }
}

/**
 * V03, flaw: a soft high-water mark. send() queues in the adapter while ws has more than 256 KiB
 * buffered and flushes later; sendMany() and sendPrepared() write straight through, overtaking
 * the queued frames.
 */
export class SendQueueServer extends WsSocketServer {
  readonly #queues = new WeakMap<WebSocket, Frame[]>();

  protected override doSend(ws: WebSocket, frame: Frame): void {
    const copy = typeof frame === 'string' ? frame : frame.slice();
    const queued = this.#queues.get(ws);
    if (queued !== undefined) {
      queued.push(copy);
      return;
    }
    if (ws.bufferedAmount <= SOFT_HIGH_WATER) {
      super.doSend(ws, frame);
      return;
    }
    const queue: Frame[] = [copy];
    this.#queues.set(ws, queue);
    const flush = (): void => {
      if (ws.readyState !== 1) return void this.#queues.delete(ws);
      if (ws.bufferedAmount > SOFT_HIGH_WATER) return void setTimeout(flush, 1);
      this.#queues.delete(ws);
      for (const f of queue) super.doSend(ws, f);
    };
    setImmediate(flush);
  }
}

/** V04, flaw: remoteAddress reported as "ip:port" (the author wanted to tell peers apart). */
export class RemoteWithPortServer extends WsSocketServer {
  protected override acceptConnection(
    ws: WebSocket,
    handshake: HandshakeInit,
  ): ServerConnection<WebSocket> {
    const socket = (ws as unknown as { _socket: Socket })._socket;
    return super.acceptConnection(ws, {
      ...handshake,
      remoteAddress: `${socket.remoteAddress}:${socket.remotePort}`,
    });
  }
}

/** V05, flaw: remoteAddress taken from a client-sent X-Forwarded-For header when there is one. */
export class RemoteFromXffServer extends WsSocketServer {
  protected override acceptConnection(
    ws: WebSocket,
    handshake: HandshakeInit,
  ): ServerConnection<WebSocket> {
    const xff = handshake.headers?.['x-forwarded-for'];
    const first = typeof xff === 'string' ? xff.split(',')[0].trim() : '';
    return super.acceptConnection(ws, first ? { ...handshake, remoteAddress: first } : handshake);
  }
}

/**
 * V07, flaw: doClose() releases nothing while listen() has not finished ("we never started"), so
 * a close() during listen() leaves the port bound once the slow start completes.
 */
export class CloseDuringListenLeakServer extends WsSocketServer {
  #bound = false;

  protected override async doListen(): Promise<ListenAddress> {
    // A realistic slow start (resolving the host, say), then the bind.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const address = await super.doListen();
    this.#bound = true;
    return address;
  }

  protected override async doClose(): Promise<void> {
    if (!this.#bound) return;
    await super.doClose();
  }
}

/**
 * V08, flaw: a listen() failure (EADDRINUSE) is reported as an error event and listen() resolves
 * anyway, with the address it was asked for.
 */
export class ListenErrorSwallowedServer extends OwnHttpWsServer {
  protected override listenHttp(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.http.once('error', (error) => {
        this.emitError(undefined, error);
        resolve();
      });
      this.http.listen({ port: this.want.port, host: this.want.host }, () => resolve());
    });
  }

  protected override async doListen(): Promise<ListenAddress> {
    const address = await super.doListen();
    if (address.port !== undefined) return address;
    const { port, host } = this.want;
    return { url: `ws://${host}:${port}/`, port, host };
  }
}

/** A server/client pair of the ws adapter with (at most) one flaw built in. */
export interface WsAdapterVariant {
  createServer(): AbstractSocketServer;
  createServerAt(address: ListenAddress): AbstractSocketServer;
  createClient(): AbstractSocket;
}

type ServerClass = new (options: { port: number; host: string }) => AbstractSocketServer;

function serverOf(Server: ServerClass): Omit<WsAdapterVariant, 'createClient'> {
  return {
    createServer: () => new Server({ port: 0, host: HOST }),
    createServerAt: (address) => new Server({ port: address.port ?? 0, host: HOST }),
  };
}

const client = (): AbstractSocket => new WsSocket();

/**
 * Every ws variant the transport contract (fault tier included) is run against, by name.
 * `reference` is the unmodified ws adapter: the whole contract must pass.
 */
export const WS_ADAPTER_VARIANTS = {
  reference: { ...serverOf(WsSocketServer), createClient: client },
  'send-queue-reorder': { ...serverOf(SendQueueServer), createClient: client },
  'remote-with-port': { ...serverOf(RemoteWithPortServer), createClient: client },
  'remote-from-xff': { ...serverOf(RemoteFromXffServer), createClient: client },
  'close-during-listen-leak': { ...serverOf(CloseDuringListenLeakServer), createClient: client },
  'listen-error-swallowed': { ...serverOf(ListenErrorSwallowedServer), createClient: client },
} satisfies Record<string, WsAdapterVariant>;

/** The name of one variant. */
export type WsAdapterVariantName = keyof typeof WS_ADAPTER_VARIANTS;

/** The environment variable the fixture reads the variant name from. */
export const WS_VARIANT_ENV = 'PLUGSOCKET_CONTRACT_WS_VARIANT';
