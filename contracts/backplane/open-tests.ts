import { expect } from '../assert.js';
import { rejectionOf, withTimeout } from '../helpers.js';
import type { BackplaneHarness } from './harness.js';

/**
 * Registers the tests of joining a cluster: `open()` resolves only once the node is listed and
 * reachable, and `nodes()` lists exactly the open nodes.
 */
export function describeOpenTests(h: BackplaneHarness): void {
  h.group('opening', () => {
    h.test(
      {
        id: 'B-OPEN-01',
        level: 'MUST',
        title:
          'as soon as open() resolves, nodes() lists the new node, on it and on the nodes already open',
      },
      async () => {
        const [a, b] = await h.open(2);
        const c = await h.openNode();
        // Read at once, not polled: open() promises the listing when it resolves.
        for (const reader of [c, a, b]) {
          const ids = await withTimeout(reader.backplane.nodes(), h.timeouts.delivery, 'nodes()');
          expect(ids, `nodes() on ${reader.id} right after ${c.id} opened`).to.include(c.id);
        }
      },
    );

    h.test(
      {
        id: 'B-OPEN-02',
        level: 'MUST',
        title:
          'packets published as soon as open() resolves reach the new node, by publish() and by publishTo()',
      },
      async () => {
        const [a, b] = await h.open(2);
        const backplane = await h.make();
        const c = await h.openNode(backplane);
        // Sent in the same tick as open() resolved: a backplane that resolves before its
        // subscription is in place loses them.
        a.backplane.publish({ kind: 'to-all', data: { n: 1 } });
        b.backplane.publishTo(c.id, { kind: 'to-one', data: { n: 2 } });
        await h.until(
          () => c.log.has('to-all') && c.log.has('to-one'),
          'both packets at the new node',
        );
        expect(
          c.log.received.map((r) => [r.packet.kind, r.from]),
          'what the new node received',
        ).to.have.members([
          ['to-all', a.id],
          ['to-one', b.id],
        ]);
      },
    );

    h.test(
      {
        id: 'B-OPEN-03',
        level: 'MUST',
        title: 'nodes() lists exactly the open nodes, the reading node included, on every node',
      },
      async () => {
        const nodes = await h.open(3);
        const ids = nodes.map((n) => n.id);
        for (const reader of nodes) {
          const listed = await withTimeout(
            reader.backplane.nodes(),
            h.timeouts.delivery,
            'nodes()',
          );
          expect(listed, `nodes() on ${reader.id}`).to.have.members(ids);
        }
      },
    );

    h.test(
      {
        id: 'B-OPEN-04',
        level: 'SHOULD',
        title: 'a second open() rejects, and the node stays listed once and keeps receiving',
      },
      async () => {
        const [a, b] = await h.open(2);
        await rejectionOf(
          b.backplane.open(b.log),
          h.timeouts.delivery,
          'a second open() of the same backplane',
        );
        expect(await b.backplane.nodes(), 'nodes() after the second open()').to.have.members([
          a.id,
          b.id,
        ]);
        a.backplane.publish({ kind: 'after' });
        await h.until(() => b.log.has('after'), 'a packet after the second open()');
        await h.quiet();
        expect(b.log.received, 'packets at the node opened twice').to.have.length(1);
      },
    );
  });
}
