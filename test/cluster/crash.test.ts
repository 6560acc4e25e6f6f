// A node dies without closing (cluster.crash('b')): the survivors emit nodeGone, and leave/offline
// for its clients — each once, naming node b — the directory drops them, and what was waiting on
// node b (a request to one of its clients) fails with NOT_CONNECTED (TARGET_OFFLINE for a client
// asking a client) instead of waiting for its timeout.
import { expect } from 'chai';
import { expectCode, rejectionOf } from '../unit/support.js';
import {
  balancedClient,
  cleanUpNodes,
  dropConnection,
  connectTo,
  idOf,
  ids,
  recordEvents,
  settle,
  sorted,
  startNodes,
  until,
} from './support.js';

function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

describe('cluster: a node crashes', () => {
  afterEach(cleanUpNodes);

  it('the survivors emit nodeGone once each', async () => {
    const nodes = await startNodes();
    const [logA, logC] = [recordEvents(nodes.a), recordEvents(nodes.c)];
    nodes.cluster.crash('b');
    await until(
      () => logA.nodeGone.length === 1 && logC.nodeGone.length === 1,
      'nodeGone on a and c',
    );
    await settle();
    expect(logA.nodeGone).to.deep.equal([{ node: 'b' }]);
    expect(logC.nodeGone).to.deep.equal([{ node: 'b' }]);
    expect(sorted(await nodes.a.server.cluster.nodes())).to.deep.equal(['a', 'c']);
    expect(sorted(await nodes.c.server.cluster.nodes())).to.deep.equal(['a', 'c']);
  });

  it("the survivors emit leave and offline for the crashed node's clients, naming node b, once each", async () => {
    const nodes = await startNodes();
    const bob = await connectTo(nodes.b, { user: 'bob', topics: ['room', 'hall'] });
    const anon = await connectTo(nodes.b, { topics: ['room'] });
    // ann stays online through her client on c.
    const annB = await connectTo(nodes.b, { user: 'ann', topics: ['room'] });
    await connectTo(nodes.c, { user: 'ann' });
    const logs = { a: recordEvents(nodes.a), c: recordEvents(nodes.c) };
    nodes.cluster.crash('b');
    await until(
      () => Object.values(logs).every((log) => log.leave.length === 4),
      'four leaves on a and c',
    );
    await settle();
    for (const [on, log] of Object.entries(logs)) {
      expect(log.leave, `leaves told on ${on}`).to.have.deep.members([
        { topic: 'room', clientId: idOf(bob), user: 'bob', node: 'b' },
        { topic: 'hall', clientId: idOf(bob), user: 'bob', node: 'b' },
        { topic: 'room', clientId: idOf(anon), node: 'b' },
        { topic: 'room', clientId: idOf(annB), user: 'ann', node: 'b' },
      ]);
      expect(log.leave, `leaves told on ${on}`).to.have.length(4);
      expect(log.offline, `offline told on ${on}`).to.deep.equal([
        { user: 'bob', clientId: idOf(bob), node: 'b' },
      ]);
      expect(log.join, `joins told on ${on}`).to.deep.equal([]);
      expect(log.online, `online told on ${on}`).to.deep.equal([]);
    }
  });

  it("the directory no longer lists the crashed node's clients", async () => {
    const nodes = await startNodes();
    const onA = await connectTo(nodes.a, { user: 'ann', topics: ['room'] });
    await connectTo(nodes.b, { user: 'bob', topics: ['room'] });
    await connectTo(nodes.b, { topics: ['hall'] });
    const onC = await connectTo(nodes.c, { user: 'cat', topics: ['room'] });
    expect(await nodes.a.server.cluster.getClients()).to.have.length(4);
    nodes.cluster.crash('b');
    await settle();
    for (const node of [nodes.a, nodes.c]) {
      const q = node.server.cluster;
      expect(ids(await q.getClients())).to.deep.equal(sorted([idOf(onA), idOf(onC)]));
      expect(ids(await q.getSubscribers('room'))).to.deep.equal(sorted([idOf(onA), idOf(onC)]));
      expect(Object.fromEntries(await q.topicSizes())).to.deep.equal({ room: 2 });
      expect(await q.getTopicSize('hall')).to.equal(0);
      expect(await q.isOnline('bob')).to.equal(false);
      expect(await q.getUserClients('bob')).to.deep.equal([]);
    }
  });

  it('a request in flight to a client of the crashed node rejects NOT_CONNECTED at once', async () => {
    const nodes = await startNodes();
    const target = await connectTo(nodes.b);
    let running = false;
    target.handle('slow', () => {
      running = true;
      return never();
    });
    const pending = handled(nodes.a.server.request(idOf(target), 'slow', null, { timeout: 5000 }));
    await until(() => running, 'the handler runs on b');
    const started = Date.now();
    nodes.cluster.crash('b');
    expectCode(await rejectionOf(pending), 'NOT_CONNECTED');
    expect(Date.now() - started).to.be.below(1000);
    // And a new one finds no such client.
    expectCode(
      await rejectionOf(nodes.a.server.request(idOf(target), 'slow', null)),
      'NOT_CONNECTED',
    );
  });

  it("a client's request in flight to a client of the crashed node rejects TARGET_OFFLINE at once", async () => {
    const nodes = await startNodes();
    const asker = await connectTo(nodes.c);
    const target = await connectTo(nodes.b);
    let running = false;
    target.handle('slow', () => {
      running = true;
      return never();
    });
    const pending = handled(asker.requestClient(idOf(target), 'slow', null, { timeout: 5000 }));
    await until(() => running, 'the handler runs on b');
    const started = Date.now();
    nodes.cluster.crash('b');
    expectCode(await rejectionOf(pending), 'TARGET_OFFLINE');
    expect(Date.now() - started).to.be.below(1000);
    expect(asker.isConnected).to.equal(true);
  });

  it('a broadcast request gathers the survivors without waiting for the crashed node', async () => {
    const nodes = await startNodes();
    const onA = await connectTo(nodes.a, { topics: ['vote'] });
    const onB = await connectTo(nodes.b, { topics: ['vote'] });
    const onC = await connectTo(nodes.c, { topics: ['vote'] });
    onA.handle('poll', () => 'a');
    onC.handle('poll', () => 'c');
    let asked = false;
    onB.handle('poll', () => {
      asked = true;
      return never();
    });
    const started = Date.now();
    const pending = nodes.a.server.to('vote').timeout(3000).request('poll', null);
    await until(() => asked, 'b asked');
    nodes.cluster.crash('b');
    const { results } = await pending;
    expect(Date.now() - started).to.be.below(1500);
    expect(Object.fromEntries(results)).to.deep.equal({ [idOf(onA)]: 'a', [idOf(onC)]: 'c' });
  });

  it('a client of the crashed node that comes back to a survivor gets a new session (expired), promptly', async () => {
    const nodes = await startNodes();
    const { client, balancer } = balancedClient(nodes.b.url, { auth: { user: 'bob' } });
    const outcomes: unknown[] = [];
    client.onReconnected((outcome) => outcomes.push(outcome));
    await client.connect();
    await client.join('room');
    const id = idOf(client);
    nodes.cluster.crash('b');
    balancer.hold();
    // Its connection to the dead node goes too.
    dropConnection(nodes.b.server, id);
    const started = Date.now();
    balancer.routeTo(nodes.a.url);
    await until(() => outcomes.length === 1, 'the reconnect');
    expect(Date.now() - started).to.be.below(1000);
    expect(outcomes).to.deep.equal([{ resumed: false, reason: 'expired' }]);
    expect(client.id).to.not.equal(id);
    // A new session, in its topics again, listed on a.
    await until(
      async () => (await nodes.c.server.cluster.getSubscribers('room')).length === 1,
      'in room again',
    );
    const listed = await nodes.c.server.cluster.getSubscribers('room');
    expect(listed.map((entry) => [entry.id, entry.node, entry.user])).to.deep.equal([
      [client.id, 'a', 'bob'],
    ]);
  });

  it('broadcasts between the survivors go on', async () => {
    const nodes = await startNodes();
    // A client on a too: a's own clients are not what is checked here.
    await connectTo(nodes.a);
    const onC = await connectTo(nodes.c);
    const got: unknown[] = [];
    onC.onMessage((m) => got.push(m.payload));
    nodes.cluster.crash('b');
    await settle();
    nodes.a.server.broadcast({ type: 'm', payload: 'still here' });
    await until(() => got.length === 1, 'c gets it');
    expect(got).to.deep.equal(['still here']);
  });
});
