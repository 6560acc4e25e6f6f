// Broadcasts across nodes: server.broadcast (with except, volatile) and the fluent operator
// (to, except, several topics, volatile, namespaces), sent on one node and received by clients on
// the others — exactly once, with exact payloads, by exactly the clients chosen.
import { expect } from 'chai';
import type { SocketClient } from '../../src/index.js';
import {
  balancedClient,
  cleanUpNodes,
  dropConnection,
  connectTo,
  idOf,
  inbox,
  settle,
  startNodes,
  until,
  type Nodes,
  type Received,
} from './support.js';

/** Two clients on a, one on b, two on c, each with its inbox. */
async function spread(nodes: Nodes, topics: Record<string, readonly string[]> = {}) {
  const names = ['a1', 'a2', 'b1', 'c1', 'c2'] as const;
  const nodeOf = { a1: nodes.a, a2: nodes.a, b1: nodes.b, c1: nodes.c, c2: nodes.c };
  const clients = {} as Record<(typeof names)[number], SocketClient>;
  const got = {} as Record<(typeof names)[number], Received[]>;
  for (const name of names) {
    clients[name] = await connectTo(nodeOf[name], { topics: topics[name] ?? [] });
    got[name] = inbox(clients[name]);
  }
  return { clients, got, id: (name: (typeof names)[number]) => idOf(clients[name]) };
}

describe('cluster: broadcasts', () => {
  afterEach(cleanUpNodes);

  describe('server.broadcast()', () => {
    it('reaches every client on every node once, and returns the recipients on its own node', async () => {
      const nodes = await startNodes();
      const { got } = await spread(nodes);
      expect(nodes.b.server.broadcast({ type: 'news', payload: { n: 1 } })).to.equal(1);
      // Order is kept per sending node only: the second broadcast waits for the first.
      await until(() => got.a1.length === 1 && got.c2.length === 1, 'the first broadcast');
      expect(nodes.a.server.broadcast({ type: 'news', payload: { n: 2 } })).to.equal(2);
      await until(() => got.c2.length === 2, 'c2 gets both broadcasts');
      await settle();
      const both = [
        { type: 'news', payload: { n: 1 } },
        { type: 'news', payload: { n: 2 } },
      ];
      for (const name of ['a1', 'a2', 'b1', 'c1', 'c2'] as const)
        expect(got[name], name).to.deep.equal(both);
    });

    it('leaves out a client of another node given as except (one id, then several)', async () => {
      const nodes = await startNodes();
      const { got, id } = await spread(nodes);
      expect(nodes.a.server.broadcast({ type: 'x', payload: 1 }, { except: id('b1') })).to.equal(2);
      nodes.a.server.broadcast({ type: 'x', payload: 2 }, { except: [id('c1'), id('a2')] });
      await until(() => got.c2.length === 2, 'c2 gets the first two');
      nodes.b.server.broadcast({ type: 'x', payload: 3 }, { except: new Set([id('a1')]) });
      await until(() => got.c2.length === 3, 'c2 gets the three broadcasts');
      await settle();
      const payloads = (name: keyof typeof got) => got[name].map((m) => m.payload);
      expect(payloads('a1')).to.deep.equal([1, 2]);
      expect(payloads('a2')).to.deep.equal([1, 3]);
      expect(payloads('b1')).to.deep.equal([2, 3]);
      expect(payloads('c1')).to.deep.equal([1, 3]);
      expect(payloads('c2')).to.deep.equal([1, 2, 3]);
    });

    it('volatile: reaches writable clients on every node, once', async () => {
      const nodes = await startNodes();
      const { got } = await spread(nodes);
      expect(nodes.c.server.broadcast({ type: 'tick', payload: 7 }, { volatile: true })).to.equal(
        2,
      );
      await until(() => got.a1.length === 1 && got.b1.length === 1, 'the tick on a and b');
      await settle();
      for (const name of ['a1', 'a2', 'b1', 'c1', 'c2'] as const)
        expect(got[name], name).to.deep.equal([{ type: 'tick', payload: 7 }]);
    });

    it('volatile stays volatile on the other nodes: a parked client there does not get it on resume', async () => {
      const nodes = await startNodes();
      const { client, balancer } = balancedClient(nodes.b.url);
      const got = inbox(client);
      const outcomes: unknown[] = [];
      client.onReconnected((outcome) => outcomes.push(outcome));
      await client.connect();
      const id = idOf(client);
      balancer.hold();
      dropConnection(nodes.b.server, id);
      await until(
        async () => (await nodes.a.server.cluster.getClient(id))?.parked === true,
        'parked on b',
      );
      nodes.a.server.broadcast({ type: 'tick', payload: 'volatile' }, { volatile: true });
      nodes.a.server.broadcast({ type: 'news', payload: 'kept' });
      nodes.a.server.volatile.emit('tick', 'volatile too');
      await settle();
      balancer.routeTo(nodes.b.url);
      await until(() => outcomes.length === 1, 'the resume');
      await until(() => got.length >= 1, 'the kept message');
      await settle();
      expect(outcomes).to.deep.equal([{ resumed: true }]);
      expect(got).to.deep.equal([{ type: 'news', payload: 'kept' }]);
    });

    it('counts one packet out on the sender and one in on each other node per broadcast', async () => {
      const nodes = await startNodes();
      await spread(nodes);
      const before = nodes.all.map(({ server }) => server.getMetrics().backplane);
      nodes.a.server.broadcast({ type: 'm', payload: 1 });
      nodes.a.server.to('t').emit('m', 2);
      await settle();
      const after = nodes.all.map(({ server }) => server.getMetrics().backplane);
      expect(after[0].packetsOut - before[0].packetsOut).to.equal(2);
      expect(after[1].packetsIn - before[1].packetsIn).to.equal(2);
      expect(after[2].packetsIn - before[2].packetsIn).to.equal(2);
      expect(after[1].packetsOut - before[1].packetsOut).to.equal(0);
      for (const m of after) {
        expect(m.packetsDropped).to.equal(0);
        expect(m.errors).to.equal(0);
      }
    });

    it('keeps order: broadcasts from one node arrive on another in the order sent', async () => {
      const nodes = await startNodes();
      const { got } = await spread(nodes);
      for (let n = 0; n < 20; n++) nodes.a.server.broadcast({ type: 'seq', payload: n });
      await until(() => got.b1.length === 20 && got.c2.length === 20, '20 broadcasts on b and c');
      const expected = Array.from({ length: 20 }, (_, n) => n);
      expect(got.b1.map((m) => m.payload)).to.deep.equal(expected);
      expect(got.c1.map((m) => m.payload)).to.deep.equal(expected);
    });
  });

  describe('fluent operator', () => {
    it("to(topic).except(id of another node's client).emit() reaches the topic's other members only", async () => {
      const nodes = await startNodes();
      const { got, id } = await spread(nodes, {
        a1: ['room'],
        b1: ['room'],
        c1: ['room'],
        c2: ['room'],
      });
      const sent = nodes.a.server.to('room').except(id('c1')).emit('say', { text: 'hi' });
      expect(sent, 'recipients on a').to.equal(1);
      await until(() => got.c2.length === 1 && got.b1.length === 1, 'b1 and c2 get it');
      await settle();
      const say = [{ type: 'say', payload: { text: 'hi' } }];
      expect(got.a1).to.deep.equal(say);
      expect(got.b1).to.deep.equal(say);
      expect(got.c2).to.deep.equal(say);
      expect(got.c1, 'excepted').to.deep.equal([]);
      expect(got.a2, 'not in the topic').to.deep.equal([]);
    });

    it('to([t1, t2]) reaches members of either topic on every node, a member of both once', async () => {
      const nodes = await startNodes();
      const { got } = await spread(nodes, {
        a1: ['t1', 't2'],
        b1: ['t1', 't2'],
        c1: ['t2'],
        c2: ['t3'],
      });
      nodes.b.server.to(['t1', 't2']).emit('m', 'once');
      nodes.b.server.to('t1').to('t2').emit('m', 'chained');
      await until(() => got.c1.length === 2 && got.a1.length === 2, 'a1 and c1 get both');
      await settle();
      const both = [
        { type: 'm', payload: 'once' },
        { type: 'm', payload: 'chained' },
      ];
      expect(got.a1).to.deep.equal(both);
      expect(got.b1).to.deep.equal(both);
      expect(got.c1).to.deep.equal(both);
      expect(got.a2).to.deep.equal([]);
      expect(got.c2).to.deep.equal([]);
    });

    it('server.except(id).emit() reaches everyone else on every node', async () => {
      const nodes = await startNodes();
      const { got, id } = await spread(nodes);
      nodes.c.server.except([id('a2'), id('b1')]).emit('e', 1);
      await until(() => got.a1.length === 1, 'a1 gets it');
      await settle();
      expect(got.a1).to.deep.equal([{ type: 'e', payload: 1 }]);
      expect(got.c1).to.deep.equal([{ type: 'e', payload: 1 }]);
      expect(got.c2).to.deep.equal([{ type: 'e', payload: 1 }]);
      expect(got.a2).to.deep.equal([]);
      expect(got.b1).to.deep.equal([]);
    });

    it('server.volatile (also .to()) reaches writable clients on the other nodes', async () => {
      const nodes = await startNodes();
      const { got } = await spread(nodes, { b1: ['prices'], c2: ['prices'] });
      expect(nodes.a.server.volatile.emit('all', 1)).to.equal(2);
      expect(nodes.a.server.volatile.to('prices').emit('quote', 2)).to.equal(0);
      expect(nodes.a.server.to('prices').volatile.emit('quote', 3)).to.equal(0);
      await until(() => got.c2.length === 3, 'c2 gets the three');
      await settle();
      expect(got.b1).to.deep.equal([
        { type: 'all', payload: 1 },
        { type: 'quote', payload: 2 },
        { type: 'quote', payload: 3 },
      ]);
      expect(got.c2).to.deep.equal(got.b1);
      expect(got.a1).to.deep.equal([{ type: 'all', payload: 1 }]);
      expect(got.c1).to.deep.equal([{ type: 'all', payload: 1 }]);
    });

    it("a namespace's to(topic).emit() reaches the topic's members on the other nodes, prefixed", async () => {
      const nodes = await startNodes();
      const { got, id } = await spread(nodes, { b1: ['lobby'], c1: ['lobby'], c2: ['lobby'] });
      const chat = nodes.a.server.ns('/chat');
      chat.to('lobby').except(id('c2')).emit('say', { text: 'yo' }, { trace: 't-1' });
      chat.emit('hello', 'everyone');
      await until(() => got.c1.length === 2 && got.c2.length === 1, 'c1 and c2');
      await settle();
      expect(got.b1).to.deep.equal([
        { type: 'chat/say', payload: { text: 'yo' } },
        { type: 'chat/hello', payload: 'everyone' },
      ]);
      expect(got.c1).to.deep.equal(got.b1);
      expect(got.c2).to.deep.equal([{ type: 'chat/hello', payload: 'everyone' }]);
      expect(got.a1).to.deep.equal([{ type: 'chat/hello', payload: 'everyone' }]);
    });

    it('headers cross nodes with the message', async () => {
      const nodes = await startNodes();
      const client = await connectTo(nodes.b, { topics: ['h'] });
      const headers: unknown[] = [];
      client.onMessage((m) => headers.push(m.headers));
      nodes.c.server.to('h').emit('m', 1, { trace: 'abc', n: 2 });
      await until(() => headers.length === 1, 'the message on b');
      expect(headers).to.deep.equal([{ trace: 'abc', n: 2 }]);
    });
  });
});
