import { expect } from 'chai';
import { PlugSocketError, type ClusterClient } from 'plugsocket';
import { TestCluster, type TestNode } from './support/cluster.js';
import { keysUnder, needRedis } from './support/redis.js';

const client = (id: string, user?: string, extra: Partial<ClusterClient> = {}): ClusterClient => ({
  id,
  node: 'ignored',
  connectedAt: 1_700_000_000_123,
  ...(user !== undefined && { user }),
  ...extra,
});

describe('RedisBackplane directory', function () {
  let cluster: TestCluster;
  let a: TestNode;
  let b: TestNode;

  before(() => needRedis());
  beforeEach(async () => {
    cluster = new TestCluster();
    [a, b] = await Promise.all([cluster.open(), cluster.open()]);
  });
  afterEach(() => cluster.close());

  describe('#addClient / #getClient', () => {
    it('lists the client under this node, readable from every node', async () => {
      await a.backplane.addClient(client('c1', 'u1'));
      const expected = { id: 'c1', node: a.node.id, user: 'u1', connectedAt: 1_700_000_000_123 };
      expect(await b.backplane.getClient('c1')).to.deep.equal(expected);
      expect(await a.backplane.getClient('c1')).to.deep.equal(expected);
      expect(await b.backplane.getClient('nobody')).to.equal(undefined);
    });

    it('updates an entry (parked, connectedAt) in place', async () => {
      await a.backplane.addClient(client('c1', 'u1'));
      await a.backplane.addClient(client('c1', 'u1', { parked: true, connectedAt: 5 }));
      expect(await b.backplane.getClient('c1')).to.deep.equal({
        id: 'c1',
        node: a.node.id,
        user: 'u1',
        connectedAt: 5,
        parked: true,
      });
      expect(await b.backplane.getClients()).to.have.length(1);
    });

    it('carries a principal exactly, bytes and $-keys included', async () => {
      const principal = { sub: 'alice', roles: ['admin', 'é漢'], claims: { tier: 2, beta: true } };
      await a.backplane.addClient(client('c1', 'u1', { principal }));
      expect((await b.backplane.getClient('c1'))?.principal).to.deep.equal(principal);
      const binary = { key: new Uint8Array([1, 2, 3]), $weird: 1 };
      await a.backplane.addClient(client('c2', 'u1', { principal: binary }));
      const back = (await b.backplane.getClients({ user: 'u1' })).find((c) => c.id === 'c2');
      expect(back?.principal).to.deep.equal({ key: new Uint8Array([1, 2, 3]), $weird: 1 });
    });

    it('refuses a malformed client with a TypeError', async () => {
      for (const bad of [
        { id: '', node: 'n', connectedAt: 1 },
        { id: 'x', node: 'n', connectedAt: NaN },
        { id: 'x', node: 'n', connectedAt: 1, user: 7 },
        { id: 'x', node: 'n', connectedAt: 1, principal: new Date() },
      ]) {
        try {
          await a.backplane.addClient(bad as unknown as ClusterClient);
          expect.fail('accepted');
        } catch (error) {
          expect(error).to.be.instanceOf(TypeError);
        }
      }
    });
  });

  describe('presence transitions', () => {
    it('reports a user coming online with the first client and offline with the last', async () => {
      expect(await a.backplane.addClient(client('c1', 'u'))).to.deep.equal({ changed: true });
      expect(await b.backplane.addClient(client('c2', 'u'))).to.deep.equal({ changed: false });
      expect(await a.backplane.removeClient('c1')).to.deep.equal({ changed: false });
      expect(await b.backplane.removeClient('c2')).to.deep.equal({ changed: true });
      expect(await b.backplane.removeClient('c2')).to.deep.equal({ changed: false });
    });

    it('treats parking as going offline and unparking as coming back', async () => {
      await a.backplane.addClient(client('c1', 'u'));
      expect(await a.backplane.addClient(client('c1', 'u', { parked: true }))).to.deep.equal({
        changed: true,
      });
      expect(await a.backplane.addClient(client('c1', 'u', { parked: true }))).to.deep.equal({
        changed: false,
      });
      expect(await a.backplane.removeClient('c1')).to.deep.equal({ changed: false });
      await a.backplane.addClient(client('c2', 'u', { parked: true }));
      expect(await a.backplane.addClient(client('c2', 'u', { parked: false }))).to.deep.equal({
        changed: true,
      });
    });

    it('never reports anonymous clients', async () => {
      expect(await a.backplane.addClient(client('c1'))).to.deep.equal({ changed: false });
      expect(await a.backplane.removeClient('c1')).to.deep.equal({ changed: false });
    });

    it('moves a client from one user to another', async () => {
      await a.backplane.addClient(client('c1', 'u1'));
      expect(await a.backplane.addClient(client('c1', 'u2'))).to.deep.equal({ changed: true });
      expect(await a.backplane.getClients({ user: 'u1' })).to.deep.equal([]);
      expect(await b.backplane.addClient(client('c2', 'u1'))).to.deep.equal({ changed: true });
    });

    it('gives each transition to exactly one of many nodes racing on one user', async () => {
      const nodes = [a, b, ...(await Promise.all([1, 2].map(() => cluster.open())))];
      for (let round = 0; round < 10; round++) {
        const ids = nodes.flatMap((n, i) => [0, 1, 2].map((k) => `r${round}-${i}-${k}`));
        const added = await Promise.all(
          ids.map((id, i) =>
            nodes[Math.floor(i / 3)].backplane.addClient(client(id, `user-${round}`)),
          ),
        );
        expect(
          added.filter((p) => p.changed),
          `round ${round} online`,
        ).to.have.length(1);
        const removed = await Promise.all(
          ids.map((id, i) => nodes[Math.floor(i / 3)].backplane.removeClient(id)),
        );
        expect(
          removed.filter((p) => p.changed),
          `round ${round} offline`,
        ).to.have.length(1);
      }
    });
  });

  describe('topics', () => {
    it('joins, lists members and counts sizes; leaving and removing update both', async () => {
      await a.backplane.addClient(client('c1', 'u1'));
      await a.backplane.addClient(client('c2', 'u2'));
      await b.backplane.addClient(client('c3', 'u1'));
      await a.backplane.joinTopic('c1', 'room');
      await a.backplane.joinTopic('c2', 'room');
      await a.backplane.joinTopic('c2', 'room'); // twice counts once
      await b.backplane.joinTopic('c3', 'room');
      await b.backplane.joinTopic('c3', 'other:topic with spaces');
      expect(await b.backplane.topicSizes()).to.deep.equal(
        new Map([
          ['room', 3],
          ['other:topic with spaces', 1],
        ]),
      );
      const ids = (list: ClusterClient[]) => list.map((c) => c.id).sort();
      expect(ids(await b.backplane.getClients({ topic: 'room' }))).to.deep.equal([
        'c1',
        'c2',
        'c3',
      ]);
      expect(ids(await b.backplane.getClients({ topic: 'room', user: 'u1' }))).to.deep.equal([
        'c1',
        'c3',
      ]);
      expect(ids(await b.backplane.getClients({ user: 'u1' }))).to.deep.equal(['c1', 'c3']);
      expect(ids(await b.backplane.getClients())).to.deep.equal(['c1', 'c2', 'c3']);
      expect(await b.backplane.getClients({ topic: 'empty' })).to.deep.equal([]);

      await a.backplane.leaveTopic('c2', 'room');
      await a.backplane.removeClient('c1');
      await b.backplane.leaveTopic('c3', 'other:topic with spaces');
      expect(await a.backplane.topicSizes()).to.deep.equal(new Map([['room', 1]]));
      expect(ids(await a.backplane.getClients({ topic: 'room' }))).to.deep.equal(['c3']);
    });

    it('lists parked clients under their user too', async () => {
      await a.backplane.addClient(client('c1', 'u1', { parked: true }));
      expect((await b.backplane.getClients({ user: 'u1' })).map((c) => c.id)).to.deep.equal(['c1']);
    });

    it('leaves no garbage for a client not listed, and none once everything is removed', async () => {
      const before = await keysUnder(cluster.admin, cluster.prefix);
      await a.backplane.joinTopic('ghost', 'room');
      await a.backplane.leaveTopic('ghost', 'room');
      await a.backplane.leaveTopic('ghost', 'never');
      await a.backplane.removeClient('ghost');
      expect(await keysUnder(cluster.admin, cluster.prefix)).to.deep.equal(before);
      expect(await a.backplane.topicSizes()).to.deep.equal(new Map());

      await a.backplane.addClient(client('c1', 'u1'));
      await a.backplane.joinTopic('c1', 't1');
      await a.backplane.addClient(client('c2', 'u1', { parked: true }));
      await a.backplane.joinTopic('c2', 't2');
      await a.backplane.removeClient('c1');
      await a.backplane.removeClient('c2');
      expect(await keysUnder(cluster.admin, cluster.prefix)).to.deep.equal(before);
    });
  });

  it('keeps its keys under the prefix, in the documented layout', async () => {
    await a.backplane.addClient(client('c1', 'u1'));
    await a.backplane.joinTopic('c1', 't');
    const p = cluster.prefix;
    expect(await keysUnder(cluster.admin, p)).to.deep.equal(
      [
        `${p}:client-topics:c1`,
        `${p}:clients`,
        `${p}:node-clients:${a.node.id}`,
        `${p}:node:${a.node.id}`,
        `${p}:node:${b.node.id}`,
        `${p}:nodes`,
        `${p}:topic:t`,
        `${p}:topics`,
        `${p}:user-clients:u1`,
        `${p}:user:u1`,
      ].sort(),
    );
    const ttl = await cluster.admin.pttl(`${p}:node:${a.node.id}`);
    expect(ttl).to.be.within(1, cluster.timing.nodeTimeout);
  });

  it('rejects calls before open and after close with INVALID_STATE', async () => {
    const unopened = cluster.backplane();
    for (const call of [
      () => unopened.getClient('x'),
      () => unopened.nodes(),
      async () => {
        await a.backplane.close();
        return a.backplane.addClient(client('c'));
      },
    ]) {
      try {
        await call();
        expect.fail('resolved');
      } catch (error) {
        expect(PlugSocketError.is(error, 'INVALID_STATE'), String(error)).to.equal(true);
      }
    }
  });
});
