import { expect } from '../assert.js';
import { expectNoDifference } from '../helpers.js';
import { expectCleaned, expectGoneOnce, populate, removedDifference } from './departure.js';
import type { BackplaneHarness } from './harness.js';

/**
 * Registers the tests of a node that dies without closing (gated on `options.crash`): the
 * survivors notice within `timeouts.nodeTimeout`, one of them removes its entries and lists them
 * (one whose link is up, when another is cut off: gated on `options.cut` too), and the directory
 * forgets it.
 */
export function describeCrashTests(h: BackplaneHarness): void {
  h.group('crash', () => {
    h.test(
      {
        id: 'B-CRASH-01',
        level: 'MUST',
        title:
          'when a node crashes, every survivor is told nodeGone once, exactly one of them with removed',
        requires: 'crash',
      },
      async () => {
        const [crashing, a, b] = await h.open(3);
        await populate(h, crashing, a);
        await h.crash(crashing);
        await expectGoneOnce(h, [a, b], crashing, h.timeouts.nodeTimeout);
      },
    );

    h.test(
      {
        id: 'B-CRASH-02',
        level: 'MUST',
        title:
          'the removed list of a crashed node names each of its entries with its topics (in any order), and userOffline true exactly where removing it took its user offline: the last online client of a user, one entry of two, never a parked one',
        requires: 'crash',
      },
      async () => {
        const [crashing, a, b] = await h.open(3);
        const population = await populate(h, crashing, a);
        await h.crash(crashing);
        const removed = await expectGoneOnce(h, [a, b], crashing, h.timeouts.nodeTimeout);
        expectNoDifference(removedDifference(removed, population.removed), 'the removed entries');
      },
    );

    h.test(
      {
        id: 'B-CRASH-03',
        level: 'MUST',
        title:
          "once the survivors are told, a crashed node is gone from nodes() and its entries and memberships from the directory; its users' presence follows",
        requires: 'crash',
      },
      async () => {
        const [crashing, a, b] = await h.open(3);
        const population = await populate(h, crashing, a);
        await h.crash(crashing);
        await h.until(
          () => [a, b].every((s) => s.log.goneOf(crashing.id).length > 0),
          `nodeGone(${crashing.id}) on every survivor`,
          h.timeouts.nodeTimeout,
        );
        await expectCleaned(h, [a, b], crashing, population);
      },
    );

    h.test(
      {
        id: 'B-CRASH-04',
        level: 'MUST',
        title:
          'when a node crashes while another is cut off, the removed list goes to a survivor whose link is up, not to the cut one',
        requires: ['crash', 'cut'],
      },
      async () => {
        // The cut node opened first: a backplane that hands the list to the first node it knows,
        // linked or not, hands it to one that cannot hear it, and no node learns what was removed.
        const [cut, linked, crashing] = await h.open(3);
        const population = await populate(h, crashing, linked);
        await h.cut(cut);
        await h.until(
          () => cut.log.states.some((s) => s.state === 'disconnected'),
          `state('disconnected') on ${cut.id}`,
        );
        await h.crash(crashing);
        const removed = await expectGoneOnce(h, [linked], crashing, h.timeouts.nodeTimeout);
        expectNoDifference(removedDifference(removed, population.removed), 'the removed entries');
        expect(
          cut.log.goneOf(crashing.id).filter((g) => g.removed !== undefined),
          `nodeGone(${crashing.id}) calls with removed on ${cut.id}, which was cut`,
        ).to.deep.equal([]);
      },
    );
  });
}
