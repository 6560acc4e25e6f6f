import { expect } from 'chai';
import { Container } from 'inversify';
import { Redis } from 'ioredis';
import { TOKENS } from 'plugsocket/di';
import { RedisBackplane } from 'plugsocket/redis';
import { redisBackplaneModule } from 'plugsocket/redis/di';
import { TestCluster } from './support/cluster.js';
import {
  REDIS_URL,
  RecordingNode,
  adminClient,
  keysUnder,
  needRedis,
  waitFor,
} from './support/redis.js';

describe('RedisBackplane', function () {
  describe('options', () => {
    it('checks its options, and defaults prefix to plugsocket without dialling anything', async () => {
      expect(() => new RedisBackplane({ prefix: '' })).to.throw(TypeError);
      expect(() => new RedisBackplane({ heartbeatInterval: 0 })).to.throw(RangeError);
      expect(() => new RedisBackplane({ heartbeatInterval: 100, nodeTimeout: 100 })).to.throw(
        RangeError,
        /exceed/,
      );
      expect(() => new RedisBackplane({ sharded: 'yes' as never })).to.throw(TypeError);
      expect(() => new RedisBackplane({ redis: 42 as never })).to.throw(TypeError);
      const backplane = new RedisBackplane();
      expect(backplane.prefix).to.equal('plugsocket');
      expect(backplane.nodeId).to.equal('');
      expect(backplane.stats).to.deep.equal({
        packetsOut: 0,
        packetsIn: 0,
        bytesOut: 0,
        bytesIn: 0,
        dropped: 0,
        invalid: 0,
        outages: 0,
      });
      await backplane.close();
    });
  });

  describe('with Redis', () => {
    let cluster: TestCluster;
    before(() => needRedis());
    beforeEach(() => {
      cluster = new TestCluster();
    });
    afterEach(() => cluster.close());

    it("picks sharded pub/sub on its own on Redis 7 ('auto')", async () => {
      const info = await cluster.admin.info('server');
      const major = Number(/redis_version:(\d+)/.exec(info)?.[1]);
      const a = await cluster.open();
      expect(a.backplane.sharded).to.equal(major >= 7);
    });

    it('never closes a client you pass, unless closeClient', async () => {
      for (const closeClient of [false, true]) {
        const mine = adminClient();
        await mine.ping();
        const backplane = new RedisBackplane({ redis: mine, prefix: cluster.prefix, closeClient });
        await backplane.open(new RecordingNode(`owner-${closeClient}`));
        await backplane.close();
        if (closeClient) await waitFor(() => mine.status === 'end', 'the client closed');
        else {
          expect(mine.status).to.equal('ready');
          expect(await mine.ping()).to.equal('PONG');
          await mine.quit();
        }
      }
    });

    it('names every key with prefix, whatever keyPrefix the client you pass has', async () => {
      const mine = new Redis(REDIS_URL, { keyPrefix: 'elsewhere:' });
      try {
        const backplane = new RedisBackplane({ redis: mine, prefix: cluster.prefix });
        await backplane.open(new RecordingNode('prefixed'));
        await backplane.addClient({ id: 'c', node: '', connectedAt: 1 });
        await backplane.sessions.save(
          {
            id: 's',
            secret: 'x',
            principal: null,
            principalKey: undefined,
            topics: [],
            data: [],
            received: 0,
            logStart: 0,
            log: [],
            expiresAt: Date.now() + 10_000,
          },
          10_000,
        );
        const keys = await keysUnder(cluster.admin, cluster.prefix);
        expect(keys).to.include.members([
          `${cluster.prefix}:clients`,
          `${cluster.prefix}:session:s`,
        ]);
        expect(await keysUnder(cluster.admin, `elsewhere:${cluster.prefix}`)).to.deep.equal([]);
        await backplane.close();
        expect(mine.status).to.equal('ready');
      } finally {
        await mine.quit();
      }
    });

    it('shares its session store with every node on the same prefix', async () => {
      const [a, b] = await Promise.all([cluster.open(), cluster.open()]);
      await a.backplane.sessions.save(
        {
          id: 's1',
          secret: 'x',
          principal: null,
          principalKey: undefined,
          topics: [],
          data: [],
          received: 0,
          logStart: 0,
          log: [new Uint8Array([1])],
          expiresAt: Date.now() + 10_000,
        },
        10_000,
      );
      expect((await b.backplane.sessions.take('s1', () => true))?.log).to.deep.equal([
        new Uint8Array([1]),
      ]);
      expect(await cluster.admin.exists(`${cluster.prefix}:session:s1`)).to.equal(0);
    });

    it('calls nothing on the node after close, and takes no new packets', async () => {
      const [a, b] = await Promise.all([cluster.open(), cluster.open()]);
      await b.backplane.close();
      a.backplane.publish({ kind: 'late' });
      a.backplane.publishTo(b.node.id, { kind: 'late' });
      await waitFor(() => a.node.gone.length === 1, 'a told of b');
      expect(b.node.received).to.deep.equal([]);
      expect(b.node.states).to.deep.equal([]);
    });

    it('redisBackplaneModule binds TOKENS.Backplane (and the class) and TOKENS.SessionStore, and closes it on unbind', async () => {
      const container = new Container();
      container.load(redisBackplaneModule({ redis: REDIS_URL, prefix: cluster.prefix }));
      const backplane = container.get(RedisBackplane);
      expect(container.get(RedisBackplane)).to.equal(backplane);
      expect(container.get(TOKENS.Backplane)).to.equal(backplane);
      expect(container.get(TOKENS.SessionStore)).to.equal(backplane.sessions);
      const node = new RecordingNode('di-node');
      await backplane.open(node);
      expect(await backplane.nodes()).to.deep.equal(['di-node']);
      await container.unbindAllAsync();
      expect(await cluster.admin.exists(`${cluster.prefix}:node:di-node`)).to.equal(0);
    });
  });
});
