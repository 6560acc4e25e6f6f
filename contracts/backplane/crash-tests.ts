import { expectNoDifference } from '../helpers.js';
import { expectCleaned, expectGoneOnce, populate, removedDifference } from './departure.js';
import type { BackplaneHarness } from './harness.js';

/**
 * Registers the tests of a node that dies without closing (gated on `options.crash`): the
 * survivors notice within `timeouts.nodeTimeout`, one of them removes its entries and lists them,
 * and the directory forgets it.
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
          "the removed list of a crashed node names each of its entries with its topics, and userOffline true only where the user's last online client went",
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
  });
}
