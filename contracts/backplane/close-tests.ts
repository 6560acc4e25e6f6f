import { expect } from '../assert.js';
import { expectNoDifference } from '../helpers.js';
import { expectCleaned, expectGoneOnce, populate, removedDifference } from './departure.js';
import type { BackplaneHarness } from './harness.js';

/**
 * Registers the tests of leaving the cluster with `close()`: the node's entries and liveness go,
 * the others are told once (one of them with the entries), and close is idempotent and final.
 */
export function describeCloseTests(h: BackplaneHarness): void {
  h.group('closing', () => {
    h.test(
      {
        id: 'B-CLOSE-01',
        level: 'MUST',
        title:
          "close() removes the node from nodes() and its entries and topic memberships from the directory; its users' presence follows",
      },
      async () => {
        const [leaving, a, b] = await h.open(3);
        const population = await populate(h, leaving, a);
        await leaving.backplane.close();
        await expectCleaned(h, [a, b], leaving, population);
      },
    );

    h.test(
      {
        id: 'B-CLOSE-02',
        level: 'MUST',
        title:
          'after close(), every other node is told nodeGone once, exactly one of them with removed',
      },
      async () => {
        const [leaving, a, b] = await h.open(3);
        await populate(h, leaving, a);
        await leaving.backplane.close();
        await expectGoneOnce(h, [a, b], leaving, h.timeouts.delivery);
      },
    );

    h.test(
      {
        id: 'B-CLOSE-03',
        level: 'MUST',
        title:
          'the removed list of a closed node names each of its entries with its topics (in any order), and userOffline true exactly where removing it took its user offline: the last online client of a user, one entry of two, never a parked one',
      },
      async () => {
        const [leaving, a, b] = await h.open(3);
        const population = await populate(h, leaving, a);
        await leaving.backplane.close();
        const removed = await expectGoneOnce(h, [a, b], leaving, h.timeouts.delivery);
        expectNoDifference(removedDifference(removed, population.removed), 'the removed entries');
      },
    );

    h.test(
      {
        id: 'B-CLOSE-04',
        level: 'MUST',
        title:
          'close() is idempotent: called twice at once and once more, each resolves, and the others are told once',
      },
      async () => {
        const [leaving, a, b] = await h.open(3);
        await Promise.all([leaving.backplane.close(), leaving.backplane.close()]);
        await leaving.backplane.close();
        await expectGoneOnce(h, [a, b], leaving, h.timeouts.delivery);
      },
    );

    h.test(
      {
        id: 'B-CLOSE-05',
        level: 'MUST',
        title:
          'once close() resolves the node receives nothing more, not even packets sent just before it',
      },
      async () => {
        const [leaving, a] = await h.open(2);
        for (let i = 0; i < 50; i++) {
          a.backplane.publish({ kind: 'before', data: { i } });
          a.backplane.publishTo(leaving.id, { kind: 'before', data: { i } });
        }
        await leaving.backplane.close();
        const atClose = leaving.log.received.length;
        a.backplane.publish({ kind: 'after' });
        a.backplane.publishTo(leaving.id, { kind: 'after' });
        await h.quiet();
        expect(
          leaving.log.received.length - atClose,
          'packets received after close() resolved',
        ).to.equal(0);
        expect(leaving.log.gone, 'nodeGone calls on the closed node').to.deep.equal([]);
      },
    );
  });
}
