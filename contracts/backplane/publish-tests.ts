import type { BackplanePacket } from '../../src/index.js';
import { expect } from '../assert.js';
import { expectNoDifference } from '../helpers.js';
import { packetDifference } from './equality.js';
import type { BackplaneHarness, ClusterNode } from './harness.js';

/** The per-sender sequence numbers that arrived at `node` from `sender`, in arrival order. */
function sequence(node: ClusterNode, sender: string): number[] {
  return node.log.from(sender).map((p) => (p.data as { i: number }).i);
}

/** Describes the first place `got` departs from 0, 1, 2, … `count - 1`, or undefined. */
function orderDifference(got: readonly number[], count: number): string | undefined {
  for (let i = 0; i < Math.min(got.length, count); i++) {
    if (got[i] !== i) return `packet ${i} of ${count} arrived as number ${got[i]}`;
  }
  return got.length === count ? undefined : `${got.length} of ${count} packets arrived`;
}

/**
 * Registers the tests of delivery between nodes: who receives a `publish` and a `publishTo`, the
 * sender's id, each receiver's packet its own, per-sender order across both, and a throwing
 * `receive`.
 */
export function describePublishTests(h: BackplaneHarness): void {
  h.group('publish and publishTo', () => {
    h.test(
      {
        id: 'B-PUB-01',
        level: 'MUST',
        title: "publish() reaches every other open node exactly once, from the sender's id",
      },
      async () => {
        const [a, b, c] = await h.open(3);
        a.backplane.publish({ kind: 'hello', data: { n: 1 } });
        // A second packet behind the first: once it is in, a duplicate of the first would be too.
        a.backplane.publish({ kind: 'marker' });
        await h.until(() => b.log.has('marker') && c.log.has('marker'), 'the packets at b and c');
        for (const node of [b, c]) {
          expect(
            node.log.received.map((r) => [r.packet.kind, r.from]),
            `what ${node.id} received`,
          ).to.deep.equal([
            ['hello', a.id],
            ['marker', a.id],
          ]);
        }
      },
    );

    h.test(
      {
        id: 'B-PUB-02',
        level: 'MUST',
        title:
          'the sender never receives its own packets, by publish() or by publishTo(its own id)',
      },
      async () => {
        const [a, b] = await h.open(2);
        a.backplane.publish({ kind: 'to-all' });
        a.backplane.publishTo(a.id, { kind: 'to-self' });
        a.backplane.publishTo(b.id, { kind: 'to-b' });
        await h.until(() => b.log.has('to-b'), 'the packets at b');
        await h.quiet();
        expect(
          a.log.received.map((r) => r.packet.kind),
          'packets the sender received',
        ).to.deep.equal([]);
      },
    );

    h.test(
      {
        id: 'B-PUB-03',
        level: 'MUST',
        title: 'publishTo() reaches the named node, once, and no other',
      },
      async () => {
        const [a, b, c] = await h.open(3);
        a.backplane.publishTo(b.id, { kind: 'for-b' });
        // Packets from one sender keep their order, so c has seen anything sent before this.
        a.backplane.publish({ kind: 'marker' });
        await h.until(
          () => b.log.has('for-b') && b.log.has('marker') && c.log.has('marker'),
          'the packets at b and the marker at c',
        );
        await h.quiet();
        expect(
          b.log.from(a.id).map((p) => p.kind),
          'what b received',
        ).to.have.members(['for-b', 'marker']);
        expect(
          c.log.from(a.id).map((p) => p.kind),
          'what c received',
        ).to.deep.equal(['marker']);
      },
    );

    h.test(
      {
        id: 'B-PUB-04',
        level: 'MUST',
        title:
          'publishTo() a node that is not open (never opened, or closed) is dropped without an error',
      },
      async () => {
        const [a, b, c] = await h.open(3);
        await c.backplane.close();
        expect(() => a.backplane.publishTo(h.id('node'), { kind: 'nobody' })).to.not.throw();
        expect(() => a.backplane.publishTo(c.id, { kind: 'closed' })).to.not.throw();
        a.backplane.publish({ kind: 'marker' });
        await h.until(() => b.log.has('marker'), 'the marker at b');
        await h.quiet();
        expect(
          b.log.from(a.id).map((p) => p.kind),
          'what b received',
        ).to.deep.equal(['marker']);
        expect(c.log.received, 'what the closed node received').to.deep.equal([]);
      },
    );

    h.test(
      {
        id: 'B-PUB-05',
        level: 'MUST',
        title:
          'receive() is given the id of the node that published, for publish() and publishTo()',
      },
      async () => {
        const nodes = await h.open(3);
        for (const sender of nodes) {
          sender.backplane.publish({ kind: 'all', data: { sender: sender.id } });
          for (const to of nodes) {
            if (to !== sender)
              sender.backplane.publishTo(to.id, { kind: 'one', data: { sender: sender.id } });
          }
        }
        await h.until(
          () => nodes.every((n) => n.log.received.length >= 4),
          '4 packets at each node',
        );
        for (const node of nodes) {
          for (const { packet, from } of node.log.received) {
            const sender = (packet.data as { sender: string }).sender;
            expect(from, `from, at ${node.id}, of a ${packet.kind} packet ${sender} sent`).to.equal(
              sender,
            );
          }
        }
      },
    );

    h.test(
      {
        id: 'B-PUB-06',
        level: 'MUST',
        title:
          'a receiver that changes the packet it was given (data fields, frame bytes) changes nothing another receiver gets, nor the sender’s packet',
      },
      async () => {
        const [a, ...receivers] = await h.open(4);
        const published = {
          kind: 'shared',
          data: { n: 1, list: [1, 2], nested: { s: 'x' }, gone: true },
          frame: new Uint8Array([1, 2, 3, 4]),
        };
        const expected: BackplanePacket = structuredClone(published);
        // Each receiver checks its packet, then spoils it: whoever gets it after sees the damage
        // if the packet is shared, whatever the order of delivery.
        const seen = new Map<string, string | undefined>();
        for (const node of receivers) {
          node.log.onReceive = (packet) => {
            if (packet.kind !== 'shared') return;
            seen.set(node.id, packetDifference(packet, expected));
            const data = packet.data as Record<string, unknown> & {
              list: number[];
              nested: Record<string, unknown>;
            };
            data.n = 99;
            data.list.push(3);
            data.nested.s = 'changed';
            delete data.gone;
            data.added = node.id;
            if (packet.frame instanceof Uint8Array) packet.frame.fill(0xff);
          };
        }
        a.backplane.publish(published);
        await h.until(
          () => receivers.every((node) => seen.has(node.id)),
          'the packet at every receiver',
        );
        for (const node of receivers) {
          expectNoDifference(seen.get(node.id), `the packet at ${node.id}, as it arrived`);
        }
        expectNoDifference(
          packetDifference(published, expected),
          'the packet the sender published, after the receivers changed theirs',
        );
      },
    );
  });

  h.group('order', () => {
    h.test(
      {
        id: 'B-ORDER-01',
        level: 'MUST',
        title:
          'packets from one node arrive in the order it sent them, publish() and publishTo() interleaved (500 from each of two senders at once)',
      },
      async () => {
        const [a, b, c] = await h.open(3);
        const count = 500;
        for (let i = 0; i < count; i++) {
          for (const sender of [a, c]) {
            const packet: BackplanePacket = { kind: 'seq', data: { i } };
            // Two in three directly to b, the rest to everyone: both paths share one order.
            if (i % 3 === 2) sender.backplane.publish(packet);
            else sender.backplane.publishTo(b.id, packet);
          }
        }
        await h
          .until(
            () => b.log.from(a.id).length >= count && b.log.from(c.id).length >= count,
            `${count} packets from each sender at b`,
          )
          .catch(() => undefined);
        for (const sender of [a, c]) {
          const difference = orderDifference(sequence(b, sender.id), count);
          if (difference !== undefined) expect.fail(`from ${sender.id} at b: ${difference}`);
        }
        // The broadcasts alone, in order, at the third node.
        const broadcast = Array.from({ length: count }, (_, i) => i).filter((i) => i % 3 === 2);
        await h.until(() => c.log.from(a.id).length >= broadcast.length, 'the broadcasts at c');
        expect(sequence(c, a.id), `broadcasts from ${a.id} at ${c.id}`).to.deep.equal(broadcast);
      },
    );
  });

  h.group('receiving', () => {
    h.test(
      {
        id: 'B-RECV-01',
        level: 'MUST',
        title: "a node's receive() that throws does not stop the packets after it",
      },
      async () => {
        const [a, b] = await h.open(2);
        b.log.onReceive = (packet) => {
          if (packet.kind === 'boom') throw new Error('a receive() that throws (on purpose)');
        };
        a.backplane.publish({ kind: 'boom' });
        a.backplane.publish({ kind: 'next' });
        await h.until(() => b.log.has('next'), 'the packet after the one whose receive() threw');
        a.backplane.publish({ kind: 'boom' });
        await h.until(() => b.log.received.length === 3, 'the second throwing packet');
        a.backplane.publish({ kind: 'later' });
        await h.until(() => b.log.has('later'), 'a packet sent later');
        expect(
          b.log.received.map((r) => r.packet.kind),
          'what b received',
        ).to.deep.equal(['boom', 'next', 'boom', 'later']);
      },
    );
  });
}
