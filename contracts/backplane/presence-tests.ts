import type { PresenceChange } from '../../src/index.js';
import { expect } from '../assert.js';
import { entryOf } from './directory-tests.js';
import type { BackplaneHarness } from './harness.js';

/** The `changed` flag of a presence change, checked to be a boolean. */
async function changed(change: Promise<PresenceChange>, what: string): Promise<boolean> {
  const value = (await change)?.changed;
  expect(value, `${what}: changed`).to.be.a('boolean');
  return value;
}

/**
 * Registers the tests of presence transitions: `PresenceChange.changed` for a user's first online
 * client, its last, parking and unparking, anonymous clients, and two nodes racing.
 */
export function describePresenceTests(h: BackplaneHarness): void {
  h.group('presence', () => {
    h.test(
      {
        id: 'B-PRES-01',
        level: 'MUST',
        title:
          "changed is true for a user's first online client and for removing its last, false in between, across nodes",
      },
      async () => {
        const [a, b] = await h.open(2);
        const user = h.id('user');
        const [c1, c2, c3] = [
          entryOf(a, h.id('client'), { user }),
          entryOf(a, h.id('client'), { user }),
          entryOf(b, h.id('client'), { user }),
        ];
        const step = async (what: string, change: Promise<PresenceChange>, want: boolean) => {
          expect(await changed(change, what), what).to.equal(want);
        };
        await step('first client of the user', a.backplane.addClient(c1), true);
        await step('second client, same node', a.backplane.addClient(c2), false);
        await step('third client, another node', b.backplane.addClient(c3), false);
        await step('removing the first of three', a.backplane.removeClient(c1.id), false);
        await step('removing the one on the other node', b.backplane.removeClient(c3.id), false);
        await step('removing the last', a.backplane.removeClient(c2.id), true);
        await step('the user back, on the other node', b.backplane.addClient(c3), true);
      },
    );

    h.test(
      {
        id: 'B-PRES-02',
        level: 'MUST',
        title:
          'parking the last online client of a user is a change (offline), parking another is not, unparking is (online)',
      },
      async () => {
        const [a, b] = await h.open(2);
        const user = h.id('user');
        const c1 = entryOf(a, h.id('client'), { user });
        const c2 = entryOf(b, h.id('client'), { user });
        expect(await changed(a.backplane.addClient(c1), 'first client'), 'first client').to.equal(
          true,
        );
        expect(await changed(b.backplane.addClient(c2), 'second client'), 'second client').to.equal(
          false,
        );
        expect(
          await changed(a.backplane.addClient({ ...c1, parked: true }), 'parking one of two'),
          'parking one of two online clients',
        ).to.equal(false);
        expect(
          await changed(b.backplane.addClient({ ...c2, parked: true }), 'parking the last'),
          'parking the last online client',
        ).to.equal(true);
        expect(
          await changed(a.backplane.addClient({ ...c1, parked: false }), 'unparking'),
          'unparking a client of a user with no online client',
        ).to.equal(true);
        expect(
          await changed(b.backplane.addClient({ ...c2, parked: false }), 'unparking the other'),
          'unparking a second client',
        ).to.equal(false);
      },
    );

    h.test(
      {
        id: 'B-PRES-03',
        level: 'MUST',
        title: 'changed is always false for anonymous clients (added, parked, unparked, removed)',
      },
      async () => {
        const [a, b] = await h.open(2);
        const c1 = entryOf(a, h.id('client'));
        const c2 = entryOf(b, h.id('client'));
        const calls: [string, () => Promise<PresenceChange>][] = [
          ['adding the first anonymous client', () => a.backplane.addClient(c1)],
          ['adding another on another node', () => b.backplane.addClient(c2)],
          ['parking one', () => a.backplane.addClient({ ...c1, parked: true })],
          ['parking the other', () => b.backplane.addClient({ ...c2, parked: true })],
          ['unparking one', () => a.backplane.addClient({ ...c1, parked: false })],
          ['removing one', () => a.backplane.removeClient(c1.id)],
          ['removing the last', () => b.backplane.removeClient(c2.id)],
        ];
        for (const [what, call] of calls) {
          expect(await changed(call(), what), what).to.equal(false);
        }
      },
    );

    h.test(
      {
        id: 'B-PRES-04',
        level: 'MUST',
        title:
          "of two nodes adding a user's first clients at once, exactly one sees changed; likewise removing its last two (20 users)",
      },
      async () => {
        const [a, b] = await h.open(2);
        const users = Array.from({ length: 20 }, () => h.id('user'));
        const pairs = users.map((user) => [
          entryOf(a, h.id('client'), { user }),
          entryOf(b, h.id('client'), { user }),
        ]);
        const added = await Promise.all(
          pairs.map(([ca, cb]) =>
            Promise.all([
              changed(a.backplane.addClient(ca), 'concurrent add on a'),
              changed(b.backplane.addClient(cb), 'concurrent add on b'),
            ]),
          ),
        );
        added.forEach(([onA, onB], i) => {
          expect(
            Number(onA) + Number(onB),
            `nodes that saw ${users[i]} come online (a: ${onA}, b: ${onB})`,
          ).to.equal(1);
        });
        const removed = await Promise.all(
          pairs.map(([ca, cb]) =>
            Promise.all([
              changed(a.backplane.removeClient(ca.id), 'concurrent remove on a'),
              changed(b.backplane.removeClient(cb.id), 'concurrent remove on b'),
            ]),
          ),
        );
        removed.forEach(([onA, onB], i) => {
          expect(
            Number(onA) + Number(onB),
            `nodes that saw ${users[i]} go offline (a: ${onA}, b: ${onB})`,
          ).to.equal(1);
        });
      },
    );
  });
}
