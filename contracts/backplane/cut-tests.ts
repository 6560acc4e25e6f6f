import { expect } from '../assert.js';
import { withTimeout } from '../helpers.js';
import { entriesDifference, entryOf } from './directory-tests.js';
import type { BackplaneHarness, ClusterNode } from './harness.js';

/** The states `node` has been told, in order. */
function states(node: ClusterNode): string[] {
  return node.log.states.map((s) => s.state);
}

/**
 * Registers the tests of an outage of one node's link (gated on `options.cut` and
 * `options.restore`): the node is told, packets meanwhile are lost both ways and not delivered
 * late, and once it is told `connected` packets flow and its entries are listed again.
 */
export function describeCutTests(h: BackplaneHarness): void {
  /** Cuts `node` and waits until it is told `disconnected`. */
  async function cut(node: ClusterNode): Promise<void> {
    await h.cut(node);
    await h.until(
      () => states(node).includes('disconnected'),
      `state('disconnected') on ${node.id}`,
    );
  }

  /** Restores `node` and waits until it is told `connected`. */
  async function restore(node: ClusterNode): Promise<void> {
    const before = node.log.states.length;
    await h.restore(node);
    await h.until(
      () => states(node).slice(before).includes('connected'),
      `state('connected') on ${node.id} after restore`,
      h.timeouts.restore,
    );
  }

  h.group('outage', () => {
    h.test(
      {
        id: 'B-CUT-01',
        level: 'MUST',
        title:
          "a cut node is told state('disconnected'), and state('connected') once restored; the others are told nothing",
        requires: 'cut',
      },
      async () => {
        const [a, b] = await h.open(2);
        expect(states(a), 'states before the cut').to.deep.equal([]);
        await cut(a);
        expect(states(a)[0], 'the first state after the cut').to.equal('disconnected');
        await restore(a);
        expect(states(a).at(-1), 'the last state after the restore').to.equal('connected');
        expect(states(b), 'states told to the node that was not cut').to.deep.equal([]);
      },
    );

    h.test(
      {
        id: 'B-CUT-02',
        level: 'MUST',
        title:
          'packets published to a cut node while it is cut are lost: neither delivered then nor after it is restored',
        requires: 'cut',
      },
      async () => {
        const [a, b] = await h.open(2);
        await cut(a);
        b.backplane.publish({ kind: 'lost' });
        b.backplane.publishTo(a.id, { kind: 'lost' });
        await restore(a);
        // Behind the lost packets in b's order: once it is in, a late delivery would be too.
        b.backplane.publishTo(a.id, { kind: 'after' });
        await h.until(() => a.log.has('after'), 'a packet to the node after the restore');
        await h.quiet();
        expect(
          a.log.received.filter((r) => r.packet.kind === 'lost'),
          'packets published to the node while it was cut',
        ).to.deep.equal([]);
      },
    );

    h.test(
      {
        id: 'B-CUT-03',
        level: 'MUST',
        title: 'packets a cut node publishes are lost: not queued and sent once it is restored',
        requires: 'cut',
      },
      async () => {
        const [a, b] = await h.open(2);
        await cut(a);
        a.backplane.publish({ kind: 'lost' });
        a.backplane.publishTo(b.id, { kind: 'lost' });
        await restore(a);
        // Behind the lost packets in a's order: had they been queued, they would be in by now.
        a.backplane.publishTo(b.id, { kind: 'after' });
        await h.until(() => b.log.has('after'), 'a packet from the node after the restore');
        await h.quiet();
        expect(
          b.log.received.filter((r) => r.packet.kind === 'lost'),
          'packets the node published while it was cut',
        ).to.deep.equal([]);
      },
    );

    h.test(
      {
        id: 'B-CUT-05',
        level: 'MUST',
        title:
          "once a node is told state('disconnected'), its calls that return a promise settle (reject, or resolve) without waiting for the link",
        requires: 'cut',
      },
      async () => {
        const [a] = await h.open(2);
        await cut(a);
        const calls: [string, () => Promise<unknown>][] = [
          ['nodes()', () => a.backplane.nodes()],
          ['getClient()', () => a.backplane.getClient(h.id('client'))],
          ['getClients()', () => a.backplane.getClients()],
          ['topicSizes()', () => a.backplane.topicSizes()],
          ['addClient()', () => a.backplane.addClient(entryOf(a, h.id('client')))],
          ['joinTopic()', () => a.backplane.joinTopic(h.id('client'), h.id('topic'))],
        ];
        const settled = await Promise.all(
          calls.map(([what, call]) =>
            withTimeout(
              call().then(
                () => true,
                () => true,
              ),
              h.timeouts.delivery,
              `${what} during the outage`,
            ).catch((error: unknown) => (error instanceof Error ? error.message : String(error))),
          ),
        );
        expect(
          settled.filter((outcome) => outcome !== true),
          'calls that did not settle during the outage',
        ).to.deep.equal([]);
      },
    );

    h.test(
      {
        id: 'B-CUT-04',
        level: 'MUST',
        title:
          "once told state('connected'), a restored node is listed by nodes(), its entries are (still or again) in the directory, and packets flow both ways",
        requires: 'cut',
      },
      async () => {
        const [a, b] = await h.open(2);
        const topic = h.id('topic');
        const client = entryOf(a, h.id('client'), { user: h.id('user') });
        await a.backplane.addClient(client);
        await a.backplane.joinTopic(client.id, topic);
        await cut(a);
        await restore(a);
        await h.eventually(
          `nodes() on ${b.id}`,
          () => b.backplane.nodes(),
          (ids) => (ids.includes(a.id) ? undefined : `${a.id} is not listed`),
        );
        await h.eventually(
          `getClients({ topic }) on ${b.id}`,
          () => b.backplane.getClients({ topic }),
          (list) => entriesDifference(list, [client]),
        );
        a.backplane.publish({ kind: 'from-a' });
        b.backplane.publish({ kind: 'from-b' });
        await h.until(() => b.log.has('from-a'), 'a packet from the restored node');
        await h.until(() => a.log.has('from-b'), 'a packet to the restored node');
      },
    );
  });
}
