// The four servers the scenarios compare, each as an application would set it up: raw ws, raw
// Socket.IO, and plugsocket's SocketServer on its ws and Socket.IO adapters. Scenario scripts
// import this module dynamically, after forking their client, so that both processes load their
// code at the same time.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SocketServer } from 'plugsocket';
import { SocketIoServer } from 'plugsocket/socket.io';
import { WsSocketServer } from 'plugsocket/ws';
import { Server as IoServer, type ServerOptions } from 'socket.io';
import { WebSocketServer } from 'ws';

export interface RawWs {
  wss: WebSocketServer;
  port: number;
  url: string;
  close: () => void;
}

export async function startRawWs(): Promise<RawWs> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  const { port } = wss.address() as AddressInfo;
  return {
    wss,
    port,
    url: `ws://127.0.0.1:${port}/`,
    close: () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}

export interface RawSio {
  io: IoServer;
  port: number;
  url: string;
  close: () => void;
}

/** `options`: Socket.IO server options beyond its defaults (e.g. `pingInterval`, bench/scale.ts). */
export async function startRawSio(options?: Partial<ServerOptions>): Promise<RawSio> {
  const http = createServer();
  const io = new IoServer(http, options);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    io,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => {
      void io.close();
      http.closeAllConnections();
    },
  };
}

export type PsTransport = 'ws' | 'sio';

export interface Ps {
  server: SocketServer;
  port: number;
  url: string;
  close: () => void;
}

/** plugsocket's `SocketServer` with its defaults, on a loopback port chosen by the OS. */
/** The default limiter, with allowances no benchmark reaches. */
export const UNREACHED_RATE_LIMIT = { messages: 1e9, bytes: 1e12 } as const;

/** What a scenario may set beyond the benchmarks' defaults (bench/scale.ts: heartbeats). */
export interface PsOptions {
  /** `SocketServer`'s `heartbeatInterval` (`Infinity`: off); its default when absent. */
  heartbeatInterval?: number;
  /** `SocketServer`'s `heartbeatTimeout`; its default when absent. */
  heartbeatTimeout?: number;
  /** Socket.IO server options of the Socket.IO adapter (e.g. Engine.IO's `pingInterval`). */
  sioServerOptions?: Partial<Omit<ServerOptions, 'path'>>;
  /** `SocketServer`'s `resumeWindow` (`0`: session resume off, bench/resume.ts); its default when absent. */
  resumeWindow?: number;
}

export async function startPs(transport: PsTransport, options: PsOptions = {}): Promise<Ps> {
  const adapter =
    transport === 'ws'
      ? new WsSocketServer({ port: 0, host: '127.0.0.1' })
      : new SocketIoServer({
          port: 0,
          host: '127.0.0.1',
          ...(options.sioServerOptions && { serverOptions: options.sioServerOptions }),
        });
  // The rate limiter runs, as it does by default, with allowances a benchmark's client never
  // reaches: its cost is part of every figure, and bench/security.ts measures it on and off. Every
  // benchmark client connects from 127.0.0.1, so the per-address cap (1,000) is lifted.
  const server = new SocketServer(adapter, {
    rateLimit: UNREACHED_RATE_LIMIT,
    maxConnectionsPerAddress: Infinity,
    ...(options.heartbeatInterval !== undefined && {
      heartbeatInterval: options.heartbeatInterval,
    }),
    ...(options.heartbeatTimeout !== undefined && { heartbeatTimeout: options.heartbeatTimeout }),
    ...(options.resumeWindow !== undefined && { resumeWindow: options.resumeWindow }),
  });
  const { url, port } = await server.listen();
  if (url === undefined || port === undefined) throw new Error('the server reported no url');
  return {
    server,
    port,
    url,
    close: () => {
      void server.shutdown();
    },
  };
}
