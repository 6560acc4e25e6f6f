import { expect } from 'chai';
import { PlugSocketError, type ClusterClient } from 'plugsocket';
import { SHORT_LIVED, TestCluster, type TestNode } from './support/cluster.js';
import { needRedis, sleep, waitFor } from './support/redis.js';

const client = (id: string, user?: string): ClusterClient => ({
  id,
  node: '',
  connectedAt: 1,
  ...(user !== undefined && { user }),
});

describe('RedisBackplane outages', function () {
  let cluster: TestCluster;
  let a: TestNode;
  let b: TestNode;

  before(() => needRedis());
  beforeEach(async () => {
    cluster = new TestCluster(SHORT_LIVED);
    a = await cluster.open({ proxied: true });
    b = await cluster.open();
    await a.backplane.addClient(client('a1', 'alice'));
    await a.backplane.addClient(client('a2'));
    await a.backplane.joinTopic('a1', 'room');
    await a.backplane.joinTopic('a2', 'room');
    await a.backplane.joinTopic('a2', 'lobby');
  });
  afterEach(() => cluster.close());

  const states = (n: TestNode) => n.node.states.map((s) => s.state);

  it('tells the node disconnected once, drops and counts its publishes, rejects directory calls at once', async () => {
    a.proxy!.cut();
    await waitFor(() => states(a).length === 1, 'state disconnected');
    expect(states(a)).to.deep.equal(['disconnected']);
    const { error } = a.node.states[0];
    expect(PlugSocketError.is(error, 'NOT_CONNECTED'), String(error)).to.equal(true);
    expect(a.backplane.stats.outages).to.equal(1);

    const dropped = a.backplane.stats.dropped;
    a.backplane.publish({ kind: 'lost' });
    a.backplane.publishTo(b.node.id, { kind: 'lost too' });
    expect(a.backplane.stats.dropped - dropped).to.equal(2);

    const started = Date.now();
    for (const call of [
      () => a.backplane.addClient(client('a3')),
      () => a.backplane.getClients(),
      () => a.backplane.nodes(),
      () => a.backplane.topicSizes(),
    ]) {
      try {
        await call();
        expect.fail('resolved while down');
      } catch (thrown) {
        expect(PlugSocketError.is(thrown, 'NOT_CONNECTED'), String(thrown)).to.equal(true);
      }
    }
    expect(Date.now() - started, 'rejected without waiting').to.be.below(100);
    await sleep(3 * SHORT_LIVED.heartbeatInterval);
    expect(states(a), 'told once per outage').to.deep.equal(['disconnected']);
    expect(b.node.received).to.deep.equal([]);
  });

  it('after a short outage: connected again, entries intact, packets flow both ways', async () => {
    a.proxy!.cut();
    await waitFor(() => states(a).length === 1, 'disconnected');
    a.proxy!.restore();
    await waitFor(() => states(a).length === 2, 'connected again');
    expect(states(a)).to.deep.equal(['disconnected', 'connected']);
    expect(b.node.gone).to.deep.equal([]);
    expect((await b.backplane.getClients({ topic: 'room' })).map((c) => c.id).sort()).to.deep.equal(
      ['a1', 'a2'],
    );
    a.backplane.publish({ kind: 'from a' });
    b.backplane.publishTo(a.node.id, { kind: 'to a' });
    await waitFor(() => a.node.received.length === 1 && b.node.received.length === 1, 'delivery');
    expect(a.node.kinds).to.deep.equal(['to a']);
    expect(b.node.kinds).to.deep.equal(['from a']);
  });

  it('after an outage longer than nodeTimeout: a survivor removed the entries, the node writes them back', async () => {
    a.proxy!.cut();
    await waitFor(() => b.node.gone.length === 1, 'b cleans a up', SHORT_LIVED.nodeTimeout + 1000);
    expect(b.node.gone[0].node).to.equal(a.node.id);
    expect(b.node.gone[0].removed?.map((r) => r.id).sort()).to.deep.equal(['a1', 'a2']);
    expect(await b.backplane.getClients()).to.deep.equal([]);
    expect(await b.backplane.nodes()).to.deep.equal([b.node.id]);

    a.proxy!.restore();
    await waitFor(() => states(a).length === 2, 'connected again', 2000);
    expect(states(a)).to.deep.equal(['disconnected', 'connected']);
    // Written back before `connected` was told.
    expect((await b.backplane.nodes()).sort()).to.deep.equal([a.node.id, b.node.id]);
    expect((await b.backplane.getClients()).map((c) => c.id).sort()).to.deep.equal(['a1', 'a2']);
    expect(await b.backplane.topicSizes()).to.deep.equal(
      new Map([
        ['room', 2],
        ['lobby', 1],
      ]),
    );
    expect((await b.backplane.getClients({ user: 'alice' })).map((c) => c.id)).to.deep.equal([
      'a1',
    ]);
    expect(await b.backplane.addClient(client('b1', 'alice'))).to.deep.equal({ changed: false });

    // It is a node again: when it closes, b is told (again, for this new end).
    await a.backplane.close();
    await waitFor(() => b.node.gone.length === 2, 'b told of the close');
    expect(b.node.gone[1].removed?.map((r) => r.id).sort()).to.deep.equal(['a1', 'a2']);
  });

  it('writes back what the node did between the outage and the survivor clean-up, not older state', async () => {
    await a.backplane.removeClient('a2');
    await a.backplane.leaveTopic('a1', 'room');
    a.proxy!.cut();
    await waitFor(() => b.node.gone.length === 1, 'b cleans a up', SHORT_LIVED.nodeTimeout + 1000);
    // Something else lists a client under a's node meanwhile (a stale write): not a's, so removed.
    await cluster.admin.sadd(`${cluster.prefix}:node-clients:${a.node.id}`, 'stale');
    await cluster.admin.hset(
      `${cluster.prefix}:clients`,
      'stale',
      JSON.stringify({ id: 'stale', node: a.node.id, connectedAt: 1 }),
    );
    a.proxy!.restore();
    await waitFor(() => states(a).length === 2, 'connected again', 2000);
    expect((await b.backplane.getClients()).map((c) => c.id)).to.deep.equal(['a1']);
    expect(await b.backplane.topicSizes()).to.deep.equal(new Map());
  });
});
