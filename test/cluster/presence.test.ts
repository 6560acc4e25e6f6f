// Presence across nodes: every node emits join/leave (topic, client, user, node) for the clients
// of every node, and online/offline once per user transition — a user with clients on two nodes
// goes offline only when the last one goes; isOnline() and getUserClients() agree; sendToUser()
// reaches the user's clients on every node and no one else.
import { expect } from 'chai';
import {
  balancedClient,
  cleanUpNodes,
  connectTo,
  dropConnection,
  idOf,
  inbox,
  placement,
  recordEvents,
  settle,
  startNodes,
  until,
  type EventLog,
} from './support.js';

describe('cluster: presence', () => {
  afterEach(cleanUpNodes);

  /** Waits until every log has `n` events of `kind`. */
  function allHave(logs: readonly EventLog[], kind: keyof EventLog, n: number, what: string) {
    return until(() => logs.every((log) => log[kind].length === n), what);
  }

  it('join and leave: every node hears of a client of node b joining and leaving a topic, once', async () => {
    const nodes = await startNodes();
    const logs = nodes.all.map(recordEvents);
    const bob = await connectTo(nodes.b, { user: 'bob' });
    const anon = await connectTo(nodes.c);
    await bob.join('room');
    await anon.join('room');
    await allHave(logs, 'join', 2, 'two joins on every node');
    await bob.leave('room');
    await allHave(logs, 'leave', 1, 'a leave on every node');
    await settle();
    for (const log of logs) {
      expect(log.join).to.deep.equal([
        { topic: 'room', clientId: idOf(bob), user: 'bob', node: 'b' },
        { topic: 'room', clientId: idOf(anon), node: 'c' },
      ]);
      expect(log.leave).to.deep.equal([
        { topic: 'room', clientId: idOf(bob), user: 'bob', node: 'b' },
      ]);
    }
  });

  it('a client that disconnects leaves each of its topics, on every node', async () => {
    const nodes = await startNodes();
    const bob = await connectTo(nodes.a, { user: 'bob', topics: ['t1', 't2'] });
    const logs = nodes.all.map(recordEvents);
    const id = idOf(bob);
    await bob.disconnect();
    await allHave(logs, 'leave', 2, 'two leaves on every node');
    await settle();
    for (const log of logs) {
      expect(log.leave).to.have.deep.members([
        { topic: 't1', clientId: id, user: 'bob', node: 'a' },
        { topic: 't2', clientId: id, user: 'bob', node: 'a' },
      ]);
      expect(log.leave).to.have.length(2);
    }
  });

  it('server-side subscribe/unsubscribe are told on every node too', async () => {
    const nodes = await startNodes();
    const client = await connectTo(nodes.c, { user: 'cat' });
    const logs = nodes.all.map(recordEvents);
    nodes.c.server.subscribe(idOf(client), 'news');
    nodes.c.server.unsubscribe(idOf(client), 'news');
    await allHave(logs, 'leave', 1, 'the leave everywhere');
    for (const log of logs) {
      expect(log.join).to.deep.equal([
        { topic: 'news', clientId: idOf(client), user: 'cat', node: 'c' },
      ]);
      expect(log.leave).to.deep.equal(log.join);
    }
  });

  it('online/offline: a user with clients on two nodes is online once, offline only when the last one goes', async () => {
    const nodes = await startNodes();
    const logs = nodes.all.map(recordEvents);
    const first = await connectTo(nodes.a, { user: 'ann' });
    await allHave(logs, 'online', 1, 'ann online everywhere');
    const second = await connectTo(nodes.b, { user: 'ann' });
    await connectTo(nodes.c);
    await settle();
    for (const log of logs)
      expect(log.online).to.deep.equal([{ user: 'ann', clientId: idOf(first), node: 'a' }]);
    for (const { server } of nodes.all) {
      expect(await server.cluster.isOnline('ann')).to.equal(true);
      expect(placement(await server.cluster.getUserClients('ann'))).to.deep.equal({
        [idOf(first)]: 'a',
        [idOf(second)]: 'b',
      });
    }

    await first.disconnect();
    await until(
      async () => (await nodes.c.server.cluster.getUserClients('ann')).length === 1,
      'the first client gone',
    );
    await settle();
    for (const log of logs) expect(log.offline, 'still online on b').to.deep.equal([]);
    expect(await nodes.c.server.cluster.isOnline('ann')).to.equal(true);

    const secondId = idOf(second);
    await second.disconnect();
    await allHave(logs, 'offline', 1, 'ann offline everywhere');
    await settle();
    for (const log of logs) {
      expect(log.offline).to.deep.equal([{ user: 'ann', clientId: secondId, node: 'b' }]);
      expect(log.online).to.have.length(1);
    }
    for (const { server } of nodes.all) {
      expect(await server.cluster.isOnline('ann')).to.equal(false);
      expect(await server.cluster.getUserClients('ann')).to.deep.equal([]);
    }
  });

  it('online again after offline, with the new client and node', async () => {
    const nodes = await startNodes();
    const logs = nodes.all.map(recordEvents);
    const first = await connectTo(nodes.c, { user: 'eve' });
    const firstId = idOf(first);
    await first.disconnect();
    await allHave(logs, 'offline', 1, 'offline');
    const again = await connectTo(nodes.a, { user: 'eve' });
    await allHave(logs, 'online', 2, 'online twice');
    for (const log of logs) {
      expect(log.online).to.deep.equal([
        { user: 'eve', clientId: firstId, node: 'c' },
        { user: 'eve', clientId: idOf(again), node: 'a' },
      ]);
      expect(log.offline).to.deep.equal([{ user: 'eve', clientId: firstId, node: 'c' }]);
    }
  });

  it('a user admitted on two nodes at once comes online once', async () => {
    const nodes = await startNodes();
    const logs = nodes.all.map(recordEvents);
    const clients = await Promise.all([
      connectTo(nodes.a, { user: 'zoe' }),
      connectTo(nodes.b, { user: 'zoe' }),
      connectTo(nodes.c, { user: 'zoe' }),
    ]);
    await allHave(logs, 'online', 1, 'online');
    await settle();
    const ids = clients.map(idOf);
    for (const log of logs) {
      expect(log.online).to.have.length(1);
      expect(log.online[0].user).to.equal('zoe');
      expect(ids).to.include(log.online[0].clientId);
    }
    // Every node names the same client and node.
    expect(new Set(logs.map((log) => JSON.stringify(log.online[0]))).size).to.equal(1);
  });

  it('anonymous clients make no online/offline events', async () => {
    const nodes = await startNodes();
    const logs = nodes.all.map(recordEvents);
    const anon = await connectTo(nodes.b, { topics: ['t'] });
    await anon.disconnect();
    await allHave(logs, 'leave', 1, 'the leave');
    await settle();
    for (const log of logs) {
      expect(log.online).to.deep.equal([]);
      expect(log.offline).to.deep.equal([]);
    }
  });

  it('a lost connection (parked session) is offline; its resume is online again', async () => {
    const nodes = await startNodes();
    const logs = nodes.all.map(recordEvents);
    const { client, balancer } = balancedClient(nodes.b.url, { auth: { user: 'fay' } });
    await client.connect();
    const id = idOf(client);
    await allHave(logs, 'online', 1, 'online');
    balancer.hold();
    dropConnection(nodes.b.server, id);
    await allHave(logs, 'offline', 1, 'offline when parked');
    expect(await nodes.a.server.cluster.isOnline('fay')).to.equal(false);
    expect(await nodes.a.server.cluster.getUserClients('fay')).to.have.length(1);
    balancer.routeTo(nodes.b.url);
    await allHave(logs, 'online', 2, 'online again on resume');
    expect(client.id).to.equal(id);
    for (const log of logs) {
      expect(log.offline).to.deep.equal([{ user: 'fay', clientId: id, node: 'b' }]);
      expect(log.online).to.deep.equal([
        { user: 'fay', clientId: id, node: 'b' },
        { user: 'fay', clientId: id, node: 'b' },
      ]);
    }
    expect(await nodes.a.server.cluster.isOnline('fay')).to.equal(true);
  });

  it('a listener that throws is reported on onError and the others still run', async () => {
    const nodes = await startNodes();
    const errors: string[] = [];
    nodes.a.server.onError((_id, error) => errors.push(`${error.code}: ${error.message}`));
    nodes.a.server.cluster.on('join', () => {
      throw new Error('listener bug');
    });
    const log = recordEvents(nodes.a);
    const client = await connectTo(nodes.b, { topics: ['t'] });
    await until(() => log.join.length === 1, 'the join');
    expect(log.join).to.deep.equal([{ topic: 't', clientId: idOf(client), node: 'b' }]);
    expect(errors).to.deep.equal(['SERVER_ERROR: a cluster "join" listener threw']);
  });

  it('on() refuses an unknown event; off() and the returned function remove a listener', async () => {
    const nodes = await startNodes();
    const cluster = nodes.a.server.cluster;
    expect(() => cluster.on('nope' as 'join', () => undefined)).to.throw(TypeError);
    const seen: string[] = [];
    const first = (e: { clientId: string }) => seen.push(`first ${e.clientId}`);
    const stop = cluster.on('join', (e) => seen.push(`second ${e.clientId}`));
    cluster.on('join', first);
    const one = await connectTo(nodes.b, { topics: ['t'] });
    await until(() => seen.length === 2, 'both listeners');
    cluster.off('join', first);
    stop();
    await connectTo(nodes.c, { topics: ['t'] });
    await settle();
    expect(seen).to.deep.equal([`second ${idOf(one)}`, `first ${idOf(one)}`]);
  });

  describe('sendToUser()', () => {
    it("reaches the user's clients on every node, and no one else; returns the count on its own node", async () => {
      const nodes = await startNodes();
      const annA = await connectTo(nodes.a, { user: 'ann' });
      const annB = await connectTo(nodes.b, { user: 'ann' });
      const annC = await connectTo(nodes.c, { user: 'ann' });
      const bobB = await connectTo(nodes.b, { user: 'bob' });
      const anonC = await connectTo(nodes.c);
      const [ga, gb, gc, gbob, ganon] = [annA, annB, annC, bobB, anonC].map(inbox);
      expect(nodes.c.server.sendToUser('ann', { type: 'dm', payload: 1 })).to.equal(1);
      expect(nodes.c.server.sendToUser('ann', { type: 'dm', payload: 2 })).to.equal(1);
      expect(nodes.b.server.sendToUser('bob', { type: 'dm', payload: 'bob only' })).to.equal(1);
      await until(() => ga.length === 2 && gb.length === 2, 'ann on a and b');
      await settle();
      const both = [
        { type: 'dm', payload: 1 },
        { type: 'dm', payload: 2 },
      ];
      expect(ga).to.deep.equal(both);
      expect(gb).to.deep.equal(both);
      expect(gc).to.deep.equal(both);
      expect(gbob).to.deep.equal([{ type: 'dm', payload: 'bob only' }]);
      expect(ganon).to.deep.equal([]);
    });

    it('from a node with none of its clients: returns 0 and still reaches them elsewhere', async () => {
      const nodes = await startNodes();
      const annB = await connectTo(nodes.b, { user: 'ann' });
      const annC = await connectTo(nodes.c, { user: 'ann' });
      const [gb, gc] = [annB, annC].map(inbox);
      expect(nodes.a.server.sendToUser('ann', { type: 'dm', payload: 'x' })).to.equal(0);
      await until(() => gb.length === 1 && gc.length === 1, 'both');
      expect(gb).to.deep.equal([{ type: 'dm', payload: 'x' }]);
      expect(gc).to.deep.equal([{ type: 'dm', payload: 'x' }]);
      expect(nodes.a.server.sendToUser('nobody', { type: 'dm', payload: 'y' })).to.equal(0);
      await settle();
      expect(gb).to.have.length(1);
    });
  });
});
