// A broadcast storm to 20 ws clients, one of which stops reading: the 19 others get every message
// in order, the server's memory for the stalled one stays bounded (its backlog never passes
// maxBufferedAmount by more than one frame, and the heap does not grow with the storm), the
// volatile messages to it are dropped first, once it passes highWaterMark, and then it is
// disconnected as a slow consumer, which onError and onDisconnection report.
import { expect } from 'chai';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { WsSocketServer } from '../../adapters/ws/index.js';
import { SocketServer, type AnySchema, type ServerConnection } from '../../src/index.js';

const KIB = 1024;
const MIB = 1024 * KIB;
/** Small limits, so that the storm is short; the default ones scale it up, nothing else. */
const MAX_BUFFERED = 2 * MIB;
const HIGH_WATER_MARK = 256 * KIB;
const CLIENTS = 20;
/**
 * Most broadcasts in the storm (every other one volatile): the stalled reader is dropped after
 * about 3,600 here, once the kernel's buffers and then `MAX_BUFFERED` are full; the storm goes on
 * for {@link TAIL} more after that, to show the others are still served.
 */
const STORM = 20_000;
const TAIL = 400;
/** Broadcasts per event-loop turn: the healthy readers keep up between turns. */
const PER_TURN = 20;
/** What one message's frame may cost in the backlog: its text plus ws's per-chunk estimate. */
const FRAME_COST = 2 * KIB + 2 * 192;
/** How much the heap plus array buffers may grow during the storm, after a full collection. */
const HEAP_BOUND = 4 * MAX_BUFFERED + 8 * MIB;

// A full collection on demand (as `node --expose-gc` gives), so garbage is not taken for growth.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
setFlagsFromString('--no-expose-gc');

function memory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/**
 * Growth of the heap plus array buffers since `base`. Garbage the storm made counts until a
 * collection, so past `HEAP_BOUND` a full collection runs and the growth is read again.
 */
function growth(base: number): number {
  const grew = memory() - base;
  if (grew < HEAP_BOUND) return grew;
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

/** A client speaking the JSON protocol by hand, recording the messages it reads. */
class RawClient {
  readonly ws: WebSocket;
  id: string | undefined;
  /** `n` of every `chat` (ordinary) message, in arrival order. */
  readonly chats: number[] = [];
  /** `n` of every `pos` (volatile) message, in arrival order. */
  readonly positions: number[] = [];
  closeCode: number | undefined;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => {
      const frame = JSON.parse((data as Buffer).toString('utf8')) as {
        k: string;
        id?: string;
        type?: string;
        payload?: { n: number };
      };
      if (frame.k === 'welcome') this.id = frame.id;
      else if (frame.type === 'chat') this.chats.push(frame.payload!.n);
      else if (frame.type === 'pos') this.positions.push(frame.payload!.n);
    });
    this.ws.on('close', (code) => (this.closeCode = code));
    this.ws.on('error', () => undefined);
  }

  /** Stops reading: the kernel's buffers fill, then the server queues in the process. */
  stopReading(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }
}

describe('backpressure › a broadcast storm with one stalled reader (ws)', function () {
  this.timeout(30_000);

  let server: SocketServer<AnySchema>;
  let clients: RawClient[] = [];

  afterEach(async () => {
    for (const client of clients) client.ws.terminate();
    clients = [];
    await server?.shutdown({ timeout: 0 });
  });

  it('serves the others in order, bounds the stalled backlog, drops its volatile messages first, then disconnects it with SLOW_CONSUMER', async () => {
    const transport = new WsSocketServer({
      port: 0,
      host: '127.0.0.1',
      maxBufferedAmount: MAX_BUFFERED,
      highWaterMark: HIGH_WATER_MARK,
    });
    server = new SocketServer(transport);
    const accepted: ServerConnection<WebSocket>[] = [];
    transport.on('connection', (c) => void accepted.push(c));
    const errors: { clientId: string | undefined; code: string }[] = [];
    server.onError((clientId, error) => void errors.push({ clientId, code: error.code }));
    const gone: { clientId: string; code: number; reason: string }[] = [];
    server.onDisconnection((clientId, info) => void gone.push({ clientId, ...info }));
    const { url = '' } = await server.listen();

    for (let i = 0; i < CLIENTS; i++) {
      const client = new RawClient(url);
      clients.push(client);
      await once(client.ws, 'open');
    }
    await until(() => clients.every((c) => c.id !== undefined), 'every welcome');
    const [stalled, ...healthy] = clients;
    const connection = accepted[0];
    stalled.stopReading();

    // 2 KiB of payload: the stalled reader's kernel buffers fill within a few thousand messages.
    const filler = 'x'.repeat(2 * KIB - 64);
    gc();
    const base = memory();
    let grew = 0;
    let maxBacklog = 0;
    let firstVolatileDrop = -1;
    let droppedAt = -1;
    let sentChats = 0;
    let sentPositions = 0;
    for (let n = 0; n < STORM && (droppedAt === -1 || n < droppedAt + TAIL); n++) {
      if (n % 2 === 0) {
        server.broadcast({ type: 'chat', payload: { n: sentChats++, filler } });
      } else {
        server.volatile.emit('pos', { n: sentPositions++, filler });
      }
      if (droppedAt === -1) {
        maxBacklog = Math.max(maxBacklog, transport.bufferedAmount(connection));
        if (firstVolatileDrop === -1 && connection.volatileDropped > 0) firstVolatileDrop = n;
        if (!transport.isClientConnected(connection)) droppedAt = n;
      }
      if (n % PER_TURN === PER_TURN - 1) {
        if (n % (PER_TURN * 25) === PER_TURN * 25 - 1) grew = Math.max(grew, growth(base));
        await turn();
      }
    }
    grew = Math.max(grew, growth(base));

    // The stalled one: volatile messages dropped first, then the connection, within the bound.
    expect(
      firstVolatileDrop,
      'a volatile message to the stalled client was dropped',
    ).to.be.at.least(0);
    expect(droppedAt, 'the stalled client was dropped during the storm').to.be.above(
      firstVolatileDrop,
    );
    expect(
      maxBacklog,
      'the stalled backlog never passed maxBufferedAmount by more than a frame',
    ).to.be.at.most(MAX_BUFFERED + FRAME_COST);
    expect(grew, `heap + array buffers grew ${grew} bytes`).to.be.below(HEAP_BOUND);
    expect(errors, 'the typed reason on onError').to.deep.equal([
      { clientId: stalled.id, code: 'SLOW_CONSUMER' },
    ]);
    await until(() => gone.length === 1, 'the stalled client’s disconnection');
    expect(gone).to.deep.equal([{ clientId: stalled.id, code: 1006, reason: 'slow consumer' }]);
    expect(server.clientCount).to.equal(CLIENTS - 1);

    // The others: every message, in order, none dropped.
    await until(
      () =>
        healthy.every((c) => c.chats.length === sentChats && c.positions.length === sentPositions),
      'every message at the healthy clients',
    );
    const chats = Array.from({ length: sentChats }, (_, i) => i);
    const positions = Array.from({ length: sentPositions }, (_, i) => i);
    for (const [i, client] of healthy.entries()) {
      expect(client.chats, `chat messages at healthy client ${i}`).to.deep.equal(chats);
      expect(client.positions, `volatile messages at healthy client ${i}`).to.deep.equal(positions);
    }
    expect(transport.volatileDropped, 'volatile drops: the stalled client’s only').to.equal(
      connection.volatileDropped,
    );
  });
});
