// A client that stops reading while the server sends a storm of small frames must be dropped
// (SLOW_CONSUMER) before the server's memory grows much past `maxBufferedAmount`, on every
// shipped transport, while a well-behaved client on the same server still gets every frame.
// Small frames are the case that matters: their per-frame overhead is many times their bytes, so
// a guard counting payload bytes alone let a stalled reader hold several times the limit.
import { expect } from 'chai';
import { once } from 'node:events';
import { request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import WebSocket from 'ws';
import type { AbstractSocketServer, AnyFrame, ServerConnection } from '../../src/index.js';
import { MemorySocket, MemorySocketServer } from '../../adapters/memory/index.js';
import { SocketIoServer } from '../../adapters/socket.io/index.js';
import { WsSocketServer } from '../../adapters/ws/index.js';

const MIB = 1024 * 1024;
/** The limit the servers here use: small, so that each storm is short. */
const LIMIT = 4 * MIB;
/** How much the server's heap plus array buffers may grow: generous, against GC noise. */
const BOUND = 3 * LIMIT;
/** 20 characters: a small frame, whose overhead dwarfs its bytes. */
const SMALL = 'abcdefghijklmnopqrst';

function memory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

// A full collection on demand (as `node --expose-gc` gives), so garbage is not taken for growth.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
setFlagsFromString('--no-expose-gc');

/**
 * Growth of the heap plus array buffers since `base`, in bytes. Garbage the sends made counts
 * until a collection, so past `BOUND` a full collection runs and the growth is read again.
 */
function growth(base: number): number {
  const grew = memory() - base;
  if (grew < BOUND) return grew;
  gc();
  return memory() - base;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface StormResult {
  /** Frames handed to the stalled connection before a send was refused. */
  sent: number;
  /** Largest growth of heapUsed + arrayBuffers seen during the storm, in bytes. */
  grew: number;
  /** Frames sent to the healthy connection meanwhile. */
  healthySent: number;
}

/**
 * Sends small frames to `stalled` until a send is refused (at most `max`), yielding every 1,000
 * so sockets make progress, and a frame to `healthy` at each yield.
 */
async function storm<N>(
  server: AbstractSocketServer<N, AnyFrame>,
  stalled: ServerConnection<N>,
  healthy: ServerConnection<N>,
  max = 3_000_000,
): Promise<StormResult> {
  gc();
  const base = memory();
  let grew = 0;
  let healthySent = 0;
  for (let i = 0; i < max; i++) {
    // A fresh string each time, as an application's serialised messages are.
    if (!server.send(stalled, SMALL.slice(i % 7) + (i % 10))) return { sent: i, grew, healthySent };
    if (i % 1_000 === 999) {
      grew = Math.max(grew, growth(base));
      expect(server.send(healthy, `h${healthySent}`), 'send to the healthy client').to.equal(true);
      healthySent++;
      await turn();
    }
  }
  throw new Error(`no send refused in ${max} frames (memory grew ${grew} bytes)`);
}

/** Server-side bookkeeping common to every transport here. */
function record<N>(server: AbstractSocketServer<N, AnyFrame>): {
  connections: ServerConnection<N>[];
  errors: string[];
  disconnects: Map<ServerConnection<N>, number>;
} {
  const log = {
    connections: [] as ServerConnection<N>[],
    errors: [] as string[],
    disconnects: new Map<ServerConnection<N>, number>(),
  };
  server.on('connection', (c) => void log.connections.push(c));
  server.on('error', (_c, e) => void log.errors.push(e.code));
  server.on('disconnect', (c, info) => void log.disconnects.set(c, info.code));
  return log;
}

describe('slow consumers are bounded by the memory their backlog holds', function () {
  this.timeout(60_000);

  it('ws: a client that stops reading is dropped (SLOW_CONSUMER, 1006) within the memory bound; another client gets every frame', async () => {
    const server = new WsSocketServer({ port: 0, host: '127.0.0.1', maxBufferedAmount: LIMIT });
    const log = record(server);
    const { url } = await server.listen();
    try {
      const stalled = new WebSocket(url!);
      await once(stalled, 'open');
      const healthy = new WebSocket(url!);
      await once(healthy, 'open');
      const got: string[] = [];
      healthy.on('message', (data: Buffer) => void got.push(data.toString()));
      await until(() => log.connections.length === 2, 'both connections');
      const stalledClose = once(stalled, 'close');
      (stalled as unknown as { _socket: { pause(): void } })._socket.pause();

      const result = await storm(server, log.connections[0], log.connections[1]);

      expect(log.errors).to.deep.equal(['SLOW_CONSUMER']);
      expect(log.disconnects.get(log.connections[0])).to.equal(1006);
      expect(server.isClientConnected(log.connections[1])).to.equal(true);
      expect(result.grew, `memory growth while ${result.sent} frames were sent`).to.be.below(BOUND);
      // The stalled client, reading again, sees the connection dropped.
      (stalled as unknown as { _socket: { resume(): void } })._socket.resume();
      const [code] = (await stalledClose) as [number];
      expect(code).to.equal(1006);
      await until(() => got.length === result.healthySent, 'every frame at the healthy client');
      expect(got).to.deep.equal(Array.from({ length: result.healthySent }, (_, i) => `h${i}`));
      healthy.close();
    } finally {
      await server.close();
    }
  });

  it('Socket.IO over WebSocket: a client that stops reading is dropped (SLOW_CONSUMER) within the memory bound; another client gets every frame', async () => {
    const server = new SocketIoServer({ port: 0, host: '127.0.0.1', maxBufferedAmount: LIMIT });
    const log = record(server);
    const { url } = await server.listen();
    const clients: ClientSocket[] = [];
    try {
      const connect = async (): Promise<ClientSocket> => {
        const client = ioClient(url, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
        });
        clients.push(client);
        await sio(client, 'connect');
        return client;
      };
      const stalled = await connect();
      const healthy = await connect();
      const got: string[] = [];
      healthy.on('m', (data: string) => void got.push(data));
      await until(() => log.connections.length === 2, 'both connections');
      const engine = stalled.io.engine as unknown as {
        transport: { ws: { _socket: { pause(): void; resume(): void } } };
      };
      engine.transport.ws._socket.pause();

      const result = await storm(server, log.connections[0], log.connections[1]);

      expect(log.errors).to.deep.equal(['SLOW_CONSUMER']);
      expect(log.disconnects.get(log.connections[0])).to.equal(1006);
      expect(server.isClientConnected(log.connections[1])).to.equal(true);
      expect(result.grew, `memory growth while ${result.sent} frames were sent`).to.be.below(BOUND);
      const gone = sio(stalled, 'disconnect');
      engine.transport.ws._socket.resume();
      expect(await gone).to.equal('transport close');
      await until(() => got.length === result.healthySent, 'every frame at the healthy client');
      expect(got).to.deep.equal(Array.from({ length: result.healthySent }, (_, i) => `h${i}`));
    } finally {
      for (const client of clients) client.disconnect();
      await server.close();
    }
  });

  it('Socket.IO over long-polling: a client that stops polling is dropped (SLOW_CONSUMER) within the memory bound; another client gets every frame', async () => {
    const server = new SocketIoServer({ port: 0, host: '127.0.0.1', maxBufferedAmount: LIMIT });
    const log = record(server);
    const port = (await server.listen()).port!;
    let healthy: ClientSocket | undefined;
    try {
      // The stalled client, by hand: the Engine.IO handshake, the namespace connect, then no GET.
      const open = await http(port, 'GET', '/socket.io/?EIO=4&transport=polling');
      const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
      expect(
        await http(port, 'POST', `/socket.io/?EIO=4&transport=polling&sid=${sid}`, '40'),
      ).to.equal('ok');
      await until(() => log.connections.length === 1, 'the stalled connection');
      healthy = ioClient(`http://127.0.0.1:${port}/`, {
        transports: ['polling'],
        forceNew: true,
        reconnection: false,
      });
      const got: string[] = [];
      healthy.on('m', (data: string) => void got.push(data));
      await sio(healthy, 'connect');
      await until(() => log.connections.length === 2, 'the healthy connection');
      const stalledSocket = log.connections[0].native;
      expect(stalledSocket.conn.transport.name).to.equal('polling');

      const result = await storm(server, log.connections[0], log.connections[1]);

      expect(log.errors).to.deep.equal(['SLOW_CONSUMER']);
      expect(log.disconnects.get(log.connections[0])).to.equal(1006);
      expect(result.grew, `memory growth while ${result.sent} frames were sent`).to.be.below(BOUND);
      await until(() => got.length === result.healthySent, 'every frame at the healthy client');
      expect(got).to.deep.equal(Array.from({ length: result.healthySent }, (_, i) => `h${i}`));
    } finally {
      healthy?.disconnect();
      await server.close();
    }
  });

  it('memory: frames sent without yielding count as a backlog, and a send past the limit drops that client only', async () => {
    const server = new MemorySocketServer({ maxBufferedAmount: LIMIT });
    const log = record(server);
    const { url } = await server.listen();
    const stalled = new MemorySocket();
    const healthy = new MemorySocket();
    await stalled.connect({ url: url! });
    await healthy.connect({ url: url! });
    const got: string[] = [];
    healthy.on('message', (frame) => void got.push(frame as string));
    const closes: number[] = [];
    stalled.on('close', (info) => void closes.push(info.code));
    try {
      gc();
      const base = memory();
      let sent = 0;
      // No yield: nothing reaches the client until this loop ends.
      while (server.send(log.connections[0], SMALL.slice(sent % 7) + (sent % 10))) {
        if (++sent > 1_000_000) throw new Error('no send refused');
      }
      const grew = growth(base);
      expect(log.errors).to.deep.equal(['SLOW_CONSUMER']);
      // 20-odd bytes each plus the estimated overhead: far fewer frames than LIMIT / 20.
      expect(sent).to.be.below(LIMIT / 200);
      expect(grew).to.be.below(BOUND);
      expect(server.send(log.connections[1], 'still here')).to.equal(true);
      await until(() => got.length === 1 && closes.length === 1, 'delivery and the close');
      expect(got).to.deep.equal(['still here']);
      expect(closes).to.deep.equal([1006]);
    } finally {
      await healthy.disconnect();
      await server.close();
    }
  });
});

/** One HTTP request on a connection of its own; resolves with the body. */
function http(port: number, method: string, path: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: { connection: 'close' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The first `event` of a socket.io-client socket (not a Node EventEmitter), with its argument. */
function sio(
  socket: { once(event: string, listener: (arg: unknown) => void): unknown },
  event: string,
): Promise<unknown> {
  return new Promise((resolve) => socket.once(event, resolve));
}
