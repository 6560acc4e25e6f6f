import { expect } from 'chai';
import { decodeBackplanePacket, encodeBackplanePacket } from 'plugsocket/redis';
import { TestCluster } from './support/cluster.js';
import { needRedis, sleep, waitFor } from './support/redis.js';

for (const sharded of [false, true]) {
  describe(`RedisBackplane pub/sub (${sharded ? 'sharded SPUBLISH' : 'classic PUBLISH'})`, function () {
    let cluster: TestCluster;

    before(() => needRedis());
    beforeEach(() => {
      cluster = new TestCluster();
    });
    afterEach(() => cluster.close());

    it(`uses ${sharded ? 'sharded' : 'classic'} pub/sub when told to`, async () => {
      const a = await cluster.open({ sharded });
      expect(a.backplane.sharded).to.equal(sharded);
    });

    it('#publish reaches every other open node, not the sender, with the sender id', async () => {
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => cluster.open({ sharded })));
      a.backplane.publish({ kind: 'hello', data: { n: 1 } });
      await waitFor(() => b.node.received.length === 1 && c.node.received.length === 1, 'delivery');
      await sleep(30);
      expect(a.node.received).to.deep.equal([]);
      for (const { node } of [b, c])
        expect(node.received).to.deep.equal([
          { packet: { kind: 'hello', data: { n: 1 } }, from: a.node.id },
        ]);
    });

    it('#publishTo reaches that node only; to itself or an unknown node, nobody', async () => {
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => cluster.open({ sharded })));
      a.backplane.publishTo(a.node.id, { kind: 'self' });
      a.backplane.publishTo('nobody', { kind: 'lost' });
      a.backplane.publishTo(c.node.id, { kind: 'direct', frame: 'text' });
      await waitFor(() => c.node.received.length === 1, 'direct delivery');
      await sleep(30);
      expect(c.node.received).to.deep.equal([
        { packet: { kind: 'direct', frame: 'text' }, from: a.node.id },
      ]);
      expect(a.node.received).to.deep.equal([]);
      expect(b.node.received).to.deep.equal([]);
    });

    it('keeps the order of one sender across publish and publishTo', async () => {
      const [a, b] = await Promise.all([1, 2].map(() => cluster.open({ sharded })));
      const count = 400;
      for (let i = 0; i < count; i++) {
        const packet = { kind: 'seq', data: i };
        if (i % 3 === 0) a.backplane.publishTo(b.node.id, packet);
        else a.backplane.publish(packet);
      }
      await waitFor(() => b.node.received.length === count, `${count} packets`);
      expect(b.node.received.map(({ packet }) => packet.data)).to.deep.equal(
        Array.from({ length: count }, (_, i) => i),
      );
    });

    it('carries binary frames and bytes inside data exactly', async () => {
      const [a, b] = await Promise.all([1, 2].map(() => cluster.open({ sharded })));
      const frame = new Uint8Array([0, 255, 1, 2]);
      a.backplane.publish({
        kind: 'bin',
        frame,
        data: { nested: [{ raw: Buffer.from('xyz') }], $b: 1 },
      });
      await waitFor(() => b.node.received.length === 1, 'delivery');
      const { packet } = b.node.received[0];
      expect(packet.frame).to.be.instanceOf(Uint8Array);
      expect([...(packet.frame as Uint8Array)]).to.deep.equal([0, 255, 1, 2]);
      const data = packet.data as { nested: { raw: Uint8Array }[]; $b: number };
      expect(Buffer.from(data.nested[0].raw).toString()).to.equal('xyz');
      expect(data.$b).to.equal(1);
    });

    it('refuses a packet the port does not carry, as MemoryCluster does', async () => {
      const a = await cluster.open({ sharded });
      expect(() => a.backplane.publish({ kind: '' })).to.throw(TypeError);
      expect(() => a.backplane.publish({ kind: 'x', data: new Date() })).to.throw(TypeError);
      expect(() => a.backplane.publish({ kind: 'x', data: NaN })).to.throw(TypeError);
      expect(() => a.backplane.publishTo('b', { kind: 'x', frame: [1] as never })).to.throw(
        TypeError,
      );
    });

    it('counts, logs and skips a malformed message, and goes on delivering', async () => {
      const warnings: string[] = [];
      const logger = {
        debug() {},
        error() {},
        warn: (message: string) => void warnings.push(message),
      };
      const [a, b] = await Promise.all([
        cluster.open({ sharded }),
        cluster.open({ sharded, logger }),
      ]);
      const channel = `${cluster.prefix}:bp:all`;
      const garbage = [
        Buffer.from('not a packet'),
        Buffer.from([0xb5, 1, 0, 200]),
        Buffer.alloc(0),
      ];
      for (const bytes of garbage) {
        if (sharded) await cluster.admin.spublish(channel, bytes);
        else await cluster.admin.publish(channel, bytes);
      }
      a.backplane.publish({ kind: 'after' });
      await waitFor(() => b.node.received.length === 1, 'the good packet');
      expect(b.node.kinds).to.deep.equal(['after']);
      expect(b.backplane.stats.invalid).to.equal(3);
      expect(warnings.filter((w) => w.includes('malformed'))).to.have.length(3);
    });

    it('counts packets and bytes both ways', async () => {
      const [a, b] = await Promise.all([1, 2].map(() => cluster.open({ sharded })));
      const before = a.backplane.stats.packetsOut;
      a.backplane.publishTo(b.node.id, { kind: 'one', frame: 'x'.repeat(100) });
      await waitFor(() => b.node.received.length === 1, 'delivery');
      const bytes = encodeBackplanePacket(
        { kind: 'one', frame: 'x'.repeat(100) },
        a.node.id,
      ).byteLength;
      expect(a.backplane.stats.packetsOut - before).to.equal(1);
      expect(b.backplane.stats.packetsIn).to.equal(1);
      expect(b.backplane.stats.bytesIn).to.be.at.least(bytes);
      expect(decodeBackplanePacket(encodeBackplanePacket({ kind: 'one' }, 'n')).from).to.equal('n');
    });
  });
}

describe('RedisBackplane pub/sub: channels', function () {
  let cluster: TestCluster;
  before(() => needRedis());
  beforeEach(() => {
    cluster = new TestCluster();
  });
  afterEach(() => cluster.close());

  it('uses <prefix>:bp:all and <prefix>:bp:node:<id>, so two prefixes never hear each other', async () => {
    const other = new TestCluster();
    try {
      const a = await cluster.open({ sharded: false });
      const b = await cluster.open({ sharded: false });
      const stranger = await other.open({ sharded: false, id: b.node.id });
      const channels = (await cluster.admin.pubsub('CHANNELS', `${cluster.prefix}:*`)) as string[];
      expect(channels.sort()).to.deep.equal(
        [
          `${cluster.prefix}:bp:all`,
          `${cluster.prefix}:bp:node:node-1`,
          `${cluster.prefix}:bp:node:node-2`,
        ].sort(),
      );
      a.backplane.publish({ kind: 'mine' });
      a.backplane.publishTo(b.node.id, { kind: 'direct' });
      await waitFor(() => b.node.received.length === 2, 'delivery');
      await sleep(30);
      expect(stranger.node.received).to.deep.equal([]);
    } finally {
      await other.close();
    }
  });
});
