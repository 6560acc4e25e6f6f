// server.cluster as a cluster-wide directory: nodes(), getClients(), getClient(), getSubscribers(),
// topicSizes(), getTopicSize() answer for every node (the node holding each client, its user and
// principal), the same from any node, following joins, leaves and disconnects; while the server's
// own clientCount / getClients() / getSubscribers() stay those of its node.
import { expect } from 'chai';
import type { ClusterClient } from '../../src/index.js';
import {
  balancedClient,
  cleanUpNodes,
  dropConnection,
  connectTo,
  idOf,
  ids,
  placement,
  sorted,
  startNodes,
  until,
  type Nodes,
} from './support.js';

/** a: ann (room, hall), anonymous (room); b: bob (room); c: ann again (hall), cat (none). */
async function populate(nodes: Nodes) {
  const annA = await connectTo(nodes.a, { user: 'ann', topics: ['room', 'hall'] });
  const anonA = await connectTo(nodes.a, { topics: ['room'] });
  const bobB = await connectTo(nodes.b, { user: 'bob', topics: ['room'] });
  const annC = await connectTo(nodes.c, { user: 'ann', topics: ['hall'] });
  const catC = await connectTo(nodes.c, { user: 'cat' });
  return { annA, anonA, bobB, annC, catC };
}

describe('cluster: directory (server.cluster)', () => {
  afterEach(cleanUpNodes);

  it('nodes() lists every open node, from any node', async () => {
    const nodes = await startNodes();
    for (const { server } of nodes.all)
      expect(sorted(await server.cluster.nodes())).to.deep.equal(['a', 'b', 'c']);
    expect(nodes.b.server.cluster.nodeId).to.equal('b');
  });

  it('getClients() lists every client of every node with its node, user and principal, the same from each node', async () => {
    const nodes = await startNodes();
    const before = Date.now();
    const { annA, anonA, bobB, annC, catC } = await populate(nodes);
    const after = Date.now();
    for (const { server } of nodes.all) {
      const clients = await server.cluster.getClients();
      expect(placement(clients)).to.deep.equal({
        [idOf(annA)]: 'a',
        [idOf(anonA)]: 'a',
        [idOf(bobB)]: 'b',
        [idOf(annC)]: 'c',
        [idOf(catC)]: 'c',
      });
      const byId = new Map(clients.map((client) => [client.id, client]));
      const bob = byId.get(idOf(bobB))!;
      expect(bob.user).to.equal('bob');
      expect(bob.principal).to.deep.equal({ id: 'bob', role: 'member' });
      expect(bob.parked ?? false).to.equal(false);
      expect(bob.connectedAt).to.be.within(before - 1, after + 1);
      const anon = byId.get(idOf(anonA))!;
      expect(anon.user).to.equal(undefined);
      expect(anon.principal).to.equal(undefined);
      expect(byId.get(idOf(annC))!.user).to.equal('ann');
    }
  });

  it('getClient() finds a client on any node, and undefined for an unknown id', async () => {
    const nodes = await startNodes();
    const { bobB, catC } = await populate(nodes);
    const bob = await nodes.a.server.cluster.getClient(idOf(bobB));
    expect(bob).to.include({ id: idOf(bobB), node: 'b', user: 'bob' });
    const cat = await nodes.b.server.cluster.getClient(idOf(catC));
    expect(cat).to.include({ id: idOf(catC), node: 'c', user: 'cat' });
    expect(await nodes.c.server.cluster.getClient('nobody-here')).to.equal(undefined);
  });

  it('getSubscribers(), topicSizes() and getTopicSize() count the members of every node', async () => {
    const nodes = await startNodes();
    const { annA, anonA, bobB, annC } = await populate(nodes);
    for (const { server } of nodes.all) {
      const room = await server.cluster.getSubscribers('room');
      expect(placement(room)).to.deep.equal({
        [idOf(annA)]: 'a',
        [idOf(anonA)]: 'a',
        [idOf(bobB)]: 'b',
      });
      expect(ids(await server.cluster.getSubscribers('hall'))).to.deep.equal(
        sorted([idOf(annA), idOf(annC)]),
      );
      expect(await server.cluster.getSubscribers('nothing')).to.deep.equal([]);
      expect(Object.fromEntries(await server.cluster.topicSizes())).to.deep.equal({
        room: 3,
        hall: 2,
      });
      expect(await server.cluster.getTopicSize('room')).to.equal(3);
      expect(await server.cluster.getTopicSize('hall')).to.equal(2);
      expect(await server.cluster.getTopicSize('nothing')).to.equal(0);
    }
  });

  it("getUserClients() lists a user's clients on every node; isOnline() says whether any is online", async () => {
    const nodes = await startNodes();
    const { annA, annC } = await populate(nodes);
    const ann = await nodes.b.server.cluster.getUserClients('ann');
    expect(placement(ann)).to.deep.equal({ [idOf(annA)]: 'a', [idOf(annC)]: 'c' });
    expect(await nodes.b.server.cluster.getUserClients('nobody')).to.deep.equal([]);
    expect(await nodes.b.server.cluster.isOnline('ann')).to.equal(true);
    expect(await nodes.b.server.cluster.isOnline('cat')).to.equal(true);
    expect(await nodes.b.server.cluster.isOnline('nobody')).to.equal(false);
  });

  it('follows joins, leaves (client and server side) and disconnects on other nodes', async () => {
    const nodes = await startNodes();
    const { annA, bobB, catC } = await populate(nodes);
    const q = nodes.a.server.cluster;
    await catC.join('room');
    expect(await q.getTopicSize('room')).to.equal(4);
    await bobB.leave('room');
    expect(ids(await q.getSubscribers('room'))).to.not.include(idOf(bobB));
    expect(nodes.b.server.subscribe(idOf(bobB), 'vip')).to.equal(true);
    expect(placement(await q.getSubscribers('vip'))).to.deep.equal({ [idOf(bobB)]: 'b' });
    expect(nodes.b.server.unsubscribe(idOf(bobB), 'vip')).to.equal(true);
    expect(await q.getSubscribers('vip')).to.deep.equal([]);
    expect((await q.topicSizes()).has('vip')).to.equal(false);
    const catId = idOf(catC);
    await catC.disconnect();
    await until(async () => (await q.getClient(catId)) === undefined, 'cat leaves the directory');
    expect(await q.getTopicSize('room')).to.equal(2);
    expect(await q.isOnline('cat')).to.equal(false);
    expect(ids(await q.getClients())).to.not.include(catId);
    expect(ids(await q.getClients())).to.include(idOf(annA));
  });

  it("the server's own counts and lists stay those of its node", async () => {
    const nodes = await startNodes();
    const { annA, anonA, bobB } = await populate(nodes);
    const a = nodes.a.server;
    expect(a.clientCount).to.equal(2);
    expect(sorted(a.getClients().map((client) => client.id))).to.deep.equal(
      sorted([idOf(annA), idOf(anonA)]),
    );
    expect(a.getClient(idOf(bobB))).to.equal(undefined);
    expect(sorted(a.getSubscribers('room'))).to.deep.equal(sorted([idOf(annA), idOf(anonA)]));
    expect(a.getSubscribers('hall')).to.deep.equal([idOf(annA)]);
    expect(sorted(a.getTopics())).to.deep.equal(['hall', 'room']);
    expect(a.getMetrics().connections).to.equal(2);
    expect(a.getMetrics().topics).to.deep.equal({ room: 2, hall: 1 });
    expect(nodes.b.server.clientCount).to.equal(1);
    expect(nodes.c.server.clientCount).to.equal(2);
    expect(nodes.c.server.getSubscribers('room')).to.deep.equal([]);
  });

  it('lists a client whose connection was lost as parked (not online) until it resumes', async () => {
    const nodes = await startNodes();
    const { client, balancer } = balancedClient(nodes.b.url, { auth: { user: 'dan' } });
    await client.connect();
    await client.join('room');
    const id = idOf(client);
    balancer.hold();
    dropConnection(nodes.b.server, id);
    await until(
      async () => (await nodes.a.server.cluster.getClient(id))?.parked === true,
      'listed as parked',
    );
    const listed: ClusterClient | undefined = await nodes.c.server.cluster.getClient(id);
    expect(listed).to.include({ id, node: 'b', user: 'dan', parked: true });
    expect(await nodes.c.server.cluster.isOnline('dan')).to.equal(false);
    expect(ids(await nodes.c.server.cluster.getSubscribers('room'))).to.deep.equal([id]);
    expect(nodes.b.server.clientCount).to.equal(0);
    balancer.routeTo(nodes.b.url);
    await until(() => client.isConnected, 'the client resumes');
    expect(client.id).to.equal(id);
    await until(
      async () => (await nodes.a.server.cluster.getClient(id))?.parked !== true,
      'online again',
    );
    expect(await nodes.a.server.cluster.isOnline('dan')).to.equal(true);
  });
});
