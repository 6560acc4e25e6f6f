import { expect } from 'chai';
import { PlugSocketError, type ClusterClient } from 'plugsocket';
import { SHORT_LIVED, TestCluster, type TestNode } from './support/cluster.js';
import { keysUnder, needRedis, RecordingNode, sleep, waitFor } from './support/redis.js';

const client = (id: string, user?: string): ClusterClient => ({
  id,
  node: '',
  connectedAt: 1,
  ...(user !== undefined && { user }),
});

/** Fills node `n` with three clients of two users, in topics. */
async function populate(n: TestNode): Promise<void> {
  await n.backplane.addClient({
    ...client(`${n.node.id}-c1`, 'alice'),
    principal: { sub: 'alice', key: new Uint8Array([7]) },
  });
  await n.backplane.addClient(client(`${n.node.id}-c2`, 'bob'));
  await n.backplane.addClient(client(`${n.node.id}-c3`));
  await n.backplane.joinTopic(`${n.node.id}-c1`, 'room');
  await n.backplane.joinTopic(`${n.node.id}-c2`, 'room');
  await n.backplane.joinTopic(`${n.node.id}-c2`, 'lobby');
}

/** Checks that `gone` was reported once on each survivor, its entries on exactly one. */
function expectReportedOnce(survivors: TestNode[], gone: string): void {
  const reports = survivors.map((s) => s.node.gone.filter((g) => g.node === gone));
  for (const [i, list] of reports.entries())
    expect(list, `nodeGone on ${survivors[i].node.id}`).to.have.length(1);
  const withEntries = reports.filter((list) => list[0].removed !== undefined);
  expect(withEntries, 'survivors given the removed entries').to.have.length(1);
}

describe('RedisBackplane liveness', function () {
  let cluster: TestCluster;

  before(() => needRedis());
  beforeEach(() => {
    cluster = new TestCluster(SHORT_LIVED);
  });
  afterEach(() => cluster.close());

  describe('#open / #nodes', () => {
    it('lists every open node, this one included, once open resolves', async () => {
      const a = await cluster.open();
      expect(await a.backplane.nodes()).to.deep.equal([a.node.id]);
      const b = await cluster.open();
      expect((await a.backplane.nodes()).sort()).to.deep.equal([a.node.id, b.node.id]);
    });

    it('refuses a second open, and a node id another open node holds', async () => {
      const a = await cluster.open({ id: 'same' });
      try {
        await a.backplane.open(new RecordingNode('again'));
        expect.fail('opened twice');
      } catch (error) {
        expect(PlugSocketError.is(error, 'INVALID_STATE')).to.equal(true);
      }
      try {
        await cluster.open({ id: 'same' });
        expect.fail('opened a duplicate id');
      } catch (error) {
        expect(PlugSocketError.is(error, 'INVALID_STATE')).to.equal(true);
        expect((error as Error).message).to.include('in use');
      }
    });

    it('fails to open with CONNECTION_FAILED when Redis is unreachable, and can be closed', async () => {
      const backplane = cluster.backplane({
        redis: { host: '127.0.0.1', port: 1, retryStrategy: () => null, connectTimeout: 200 },
      });
      try {
        await backplane.open(new RecordingNode('lonely'));
        expect.fail('opened');
      } catch (error) {
        expect(PlugSocketError.is(error, 'CONNECTION_FAILED'), String(error)).to.equal(true);
      }
      await backplane.close();
    });
  });

  describe('#close', () => {
    it('removes the node and its entries, and tells each other node once, one of them with the entries', async () => {
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => cluster.open()));
      await populate(a);
      await b.backplane.addClient(client('b-c1', 'alice'));
      await a.backplane.close();
      await waitFor(
        () => b.node.gone.length + c.node.gone.length === 2,
        'nodeGone on b and c',
        1000,
      );
      expectReportedOnce([b, c], a.node.id);
      const removed = [...b.node.gone, ...c.node.gone].find((g) => g.removed)!.removed!;
      expect([...removed].sort((x, y) => x.id.localeCompare(y.id))).to.deep.equal([
        {
          id: 'node-1-c1',
          node: 'node-1',
          user: 'alice',
          connectedAt: 1,
          principal: { sub: 'alice', key: new Uint8Array([7]) },
          topics: ['room'],
          userOffline: false,
        },
        {
          id: 'node-1-c2',
          node: 'node-1',
          user: 'bob',
          connectedAt: 1,
          topics: ['room', 'lobby'], // in join order
          userOffline: true,
        },
        { id: 'node-1-c3', node: 'node-1', connectedAt: 1, topics: [], userOffline: false },
      ]);
      expect((await b.backplane.nodes()).sort()).to.deep.equal([b.node.id, c.node.id]);
      expect((await b.backplane.getClients()).map((x) => x.id)).to.deep.equal(['b-c1']);
      expect(await b.backplane.topicSizes()).to.deep.equal(new Map());
      // Later checks do not report it again.
      await sleep(4 * SHORT_LIVED.heartbeatInterval);
      expectReportedOnce([b, c], a.node.id);
    });

    it('is idempotent, and leaves no key of the node behind', async () => {
      const a = await cluster.open();
      await populate(a);
      await Promise.all([a.backplane.close(), a.backplane.close()]);
      await a.backplane.close();
      expect(await keysUnder(cluster.admin, cluster.prefix)).to.deep.equal([]);
    });

    it('drops publishes after close without throwing', async () => {
      const a = await cluster.open();
      await a.backplane.close();
      a.backplane.publish({ kind: 'late' });
      expect(a.backplane.stats.dropped).to.equal(1);
    });
  });

  describe('a node that stops without close()', () => {
    it('is removed by exactly one survivor, and every survivor is told once', async () => {
      const a = await cluster.open({ proxied: true });
      const survivors = await Promise.all([1, 2, 3].map(() => cluster.open()));
      await populate(a);
      a.proxy!.cut(); // the node's heartbeats stop reaching Redis: as dead as a crash, to the others
      await waitFor(
        () => survivors.every((s) => s.node.gone.length === 1),
        'nodeGone on every survivor',
        SHORT_LIVED.nodeTimeout + 20 * SHORT_LIVED.heartbeatInterval,
      );
      expectReportedOnce(survivors, a.node.id);
      const removed = survivors.find((s) => s.node.gone[0].removed)!.node.gone[0].removed!;
      expect(removed.map((r) => r.id).sort()).to.deep.equal([
        'node-1-c1',
        'node-1-c2',
        'node-1-c3',
      ]);
      expect(
        removed
          .filter((r) => r.userOffline)
          .map((r) => r.user)
          .sort(),
      ).to.deep.equal(['alice', 'bob']);
      const [b] = survivors;
      expect(await b.backplane.nodes()).to.not.include(a.node.id);
      expect(await b.backplane.getClients()).to.deep.equal([]);
      expect(await b.backplane.topicSizes()).to.deep.equal(new Map());
      await sleep(5 * SHORT_LIVED.heartbeatInterval);
      expectReportedOnce(survivors, a.node.id);
      expect(a.node.states.map((s) => s.state)).to.deep.equal(['disconnected']);
    });

    it('when it comes back with the same id later, what its last run left is removed first', async () => {
      const a = await cluster.open({ proxied: true, id: 'phoenix' });
      await populate(a);
      a.proxy!.cut();
      await sleep(SHORT_LIVED.nodeTimeout + 50); // no survivor: the entries stay, the liveness key expires
      expect(await cluster.admin.hlen(`${cluster.prefix}:clients`)).to.equal(3);
      const again = await cluster.open({ id: 'phoenix' });
      expect(await again.backplane.getClients()).to.deep.equal([]);
      expect(await again.backplane.nodes()).to.deep.equal(['phoenix']);
    });
  });

  it('a node whose liveness key vanished (a stalled process) goes disconnected, then writes its entries back', async () => {
    const [a, b] = await Promise.all([cluster.open(), cluster.open()]);
    await a.backplane.addClient(client('kept', 'alice'));
    await a.backplane.joinTopic('kept', 'room');
    await cluster.admin.del(`${cluster.prefix}:node:${a.node.id}`);
    await waitFor(() => a.node.states.length === 2, 'disconnected, then connected', 2000);
    expect(a.node.states.map((s) => s.state)).to.deep.equal(['disconnected', 'connected']);
    await waitFor(
      async () => (await b.backplane.getClient('kept')) !== undefined,
      'the entry back',
    );
    expect(await b.backplane.getClients({ topic: 'room' })).to.have.length(1);
    expect((await b.backplane.nodes()).sort()).to.deep.equal([a.node.id, b.node.id]);
    // Whether or not b took it for gone meanwhile, its close now is told to b once more.
    const told = b.node.gone.length;
    await a.backplane.close();
    await waitFor(() => b.node.gone.length === told + 1, 'b told of the close');
    expect(b.node.gone.at(-1)?.removed?.map((r) => r.id)).to.deep.equal(['kept']);
  });
});
