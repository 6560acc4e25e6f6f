import { expect } from 'chai';
import sinon from 'sinon';
import { type MemorySocket, MemorySocketServer } from '../../adapters/memory/index.js';
import {
  SocketServer,
  type AnySchema,
  type ConnectedClient,
  type SocketClient,
} from '../../src/index.js';
import { cleanUp, connectClient, flush, uniqueName } from './support.js';

/** A memory server whose per-connection backlog a test sets by hand, by the client's index. */
class BackloggedServer extends MemorySocketServer {
  readonly peers: MemorySocket[] = [];
  readonly backlog = new Map<MemorySocket, number>();

  constructor() {
    super({ name: uniqueName('bp'), maxBufferedAmount: 10_000, highWaterMark: 1_000 });
    this.on('connection', (connection) => void this.peers.push(connection.native));
  }

  /** Sets the backlog of the `i`-th connection the server accepted. */
  set(i: number, bytes: number): void {
    this.backlog.set(this.peers[i], bytes);
  }

  protected override doBufferedAmount(peer: MemorySocket): number {
    return this.backlog.get(peer) ?? 0;
  }
}

describe('SocketServer › backpressure', () => {
  let adapter: BackloggedServer;
  let server: SocketServer<AnySchema>;
  let clients: SocketClient[];
  let got: string[][];

  beforeEach(async () => {
    adapter = new BackloggedServer();
    server = new SocketServer(adapter);
    const { url = '' } = await server.listen();
    clients = [];
    got = [];
    for (let i = 0; i < 3; i++) {
      const client = await connectClient(url);
      const seen: string[] = [];
      client.onMessage((m) => void seen.push(`${m.type}:${String(m.payload)}`));
      clients.push(client);
      got.push(seen);
    }
    for (const client of clients) await client.join('room');
  });

  afterEach(async () => {
    sinon.restore();
    await cleanUp();
    await server.shutdown();
  });

  const client = (i: number): ConnectedClient => server.getClient(clients[i].id!)!;

  describe('ConnectedClient', () => {
    it('bufferedAmount and writable follow the transport’s backlog against highWaterMark', () => {
      expect(client(0).bufferedAmount).to.equal(0);
      expect(client(0).writable).to.equal(true);
      adapter.set(0, 1_001);
      expect(client(0).bufferedAmount).to.equal(1_001);
      expect(client(0).writable).to.equal(false);
      expect(client(1).writable).to.equal(true);
    });

    it('drained() resolves at once when not saturated, and when the backlog falls to half the mark', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      let idle = false;
      void client(1)
        .drained()
        .then(() => (idle = true));
      adapter.set(0, 5_000);
      let drained = false;
      void client(0)
        .drained()
        .then(() => (drained = true));
      await flush();
      expect(idle).to.equal(true);
      expect(drained).to.equal(false);
      adapter.set(0, 500);
      clock.tick(20);
      await flush();
      expect(drained).to.equal(true);
    });

    it('drained() resolves when the client disconnects', async () => {
      adapter.set(0, 5_000);
      const held = client(0);
      const drained = held.drained();
      await clients[0].disconnect();
      await drained;
      expect(held.writable).to.equal(false);
      expect(held.bufferedAmount).to.equal(0);
    });

    it('supports the documented producer loop: send while writable, wait for drained() otherwise', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      const target = client(0);
      let sent = 0;
      const producer = (async () => {
        for (let i = 0; i < 10; i++) {
          if (!target.writable) await target.drained();
          if (!server.sendToClient(target.id, { type: 'row', payload: i })) break;
          sent++;
          // The transport's backlog grows by one row per send.
          adapter.set(0, (adapter.backlog.get(adapter.peers[0]) ?? 0) + 300);
        }
      })();
      await flush();
      expect(sent, 'rows sent before the backlog passed the mark').to.equal(4);
      adapter.set(0, 0);
      clock.tick(20);
      await flush();
      expect(sent, 'another four once drained').to.equal(8);
      adapter.set(0, 0);
      clock.tick(20);
      await producer;
      expect(sent).to.equal(10);
      await flush();
      expect(got[0]).to.have.length(10);
    });
  });

  describe('volatile messages', () => {
    it('server.volatile.emit() skips the saturated client, reaches the others, and counts only them', async () => {
      adapter.set(1, 1_001);
      expect(server.volatile.emit('tick', 1)).to.equal(2);
      expect(server.broadcast({ type: 'news', payload: 2 })).to.equal(3);
      await flush();
      expect(got).to.deep.equal([['tick:1', 'news:2'], ['news:2'], ['tick:1', 'news:2']]);
      expect(adapter.volatileDropped).to.equal(1);
      expect(server.getMetrics().volatileDropped, 'getMetrics().volatileDropped').to.equal(1);
      server.volatile.emit('tick', 2);
      server.broadcast({ type: 'news', payload: 3 });
      expect(server.getMetrics().volatileDropped, 'ordinary messages never count').to.equal(2);
    });

    it('server.to(topic).volatile.emit() and server.volatile.to(topic).except(id).emit() read as the flag says', async () => {
      adapter.set(0, 1_001);
      expect(server.to('room').volatile.emit('a', 1)).to.equal(2);
      expect(server.volatile.to('room').except(clients[2].id!).emit('b', 2)).to.equal(1);
      const stored = server.to('room');
      expect(stored.emit('c', 3), 'the prefix stored before stays ordinary').to.equal(3);
      expect(stored.volatile.volatile.emit('d', 4), 'volatile twice is volatile').to.equal(2);
      await flush();
      expect(got).to.deep.equal([['c:3'], ['a:1', 'b:2', 'c:3', 'd:4'], ['a:1', 'c:3', 'd:4']]);
    });

    it('broadcast(), sendToSubscribers() and sendToClient() take { volatile: true }', async () => {
      adapter.set(2, 1_001);
      const id = clients[2].id!;
      expect(server.broadcast({ type: 'b', payload: 1 }, { volatile: true })).to.equal(2);
      expect(
        server.sendToSubscribers('room', { type: 's', payload: 2 }, { volatile: true }),
      ).to.equal(2);
      expect(server.sendToClient(id, { type: 'c', payload: 3 }, { volatile: true })).to.equal(
        false,
      );
      expect(server.sendToClient(id, { type: 'c', payload: 4 })).to.equal(true);
      await flush();
      expect(got[2]).to.deep.equal(['c:4']);
      expect(got[0]).to.deep.equal(['b:1', 's:2']);
      expect(adapter.volatileDropped).to.equal(3);
      expect(clients[2].state).to.equal('open');
    });

    it('namespaces have the flag too, with their prefix', async () => {
      adapter.set(0, 1_001);
      const chat = server.ns('/chat');
      expect(chat.volatile.emit('typing', 'x')).to.equal(2);
      expect(
        chat.sendToClient(clients[0].id!, { type: 'dm', payload: 1 }, { volatile: true }),
      ).to.equal(false);
      await flush();
      expect(got[1]).to.deep.equal(['chat/typing:x']);
      expect(got[0]).to.deep.equal([]);
    });

    it('a volatile message to a client over maxBufferedAmount drops it as a slow consumer', async () => {
      const reasons: string[] = [];
      server.onError((_id, error) => void reasons.push(error.code));
      adapter.set(0, 10_001);
      expect(server.volatile.emit('tick', 1)).to.equal(2);
      await flush();
      expect(reasons).to.include('SLOW_CONSUMER');
      expect(server.clientCount).to.equal(2);
    });

    it('requests are never volatile: to(topic).volatile.request() asks the saturated client too', async () => {
      clients[0].handle('ping', () => 'pong');
      clients[1].handle('ping', () => 'pong');
      clients[2].handle('ping', () => 'pong');
      adapter.set(0, 1_001);
      const replies = await server.to('room').volatile.timeout(1000).request('ping', undefined);
      expect([...replies.results.keys()].sort()).to.deep.equal(clients.map((c) => c.id!).sort());
      expect(adapter.volatileDropped).to.equal(0);
    });
  });
});
